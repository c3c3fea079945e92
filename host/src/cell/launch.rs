//! What every way of starting code in a sandbox is configured with: the policy, the arguments,
//! and the three stdio streams. [`CellBuilder`](super::CellBuilder) and
//! [`WasiCommandBuilder`](super::WasiCommandBuilder) hold one, and `launch_setters!` writes
//! their five setters once.

use crate::policy::Policy;
use crate::wasi::input::Input;
use crate::wasi::output::Output;

/// A launch's policy, arguments and stdio: nothing granted, no arguments, empty stdin, and
/// captured stdout and stderr unless set.
pub(crate) struct Launch {
    pub(crate) policy: Policy,
    pub(crate) args: Vec<String>,
    pub(crate) stdin: Input,
    pub(crate) stdout: Output,
    pub(crate) stderr: Output,
}

impl Default for Launch {
    fn default() -> Self {
        Launch { policy: Policy::new(), args: Vec::new(), stdin: Input::Empty, stdout: Output::Capture, stderr: Output::Capture }
    }
}

/// The setters of a builder with a `launch: Launch` field; `$args` documents what its arguments
/// are.
macro_rules! launch_setters {
    ($args:literal) => {
        #[doc = $args]
        pub fn args<I, S>(mut self, args: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.launch.args = args.into_iter().map(Into::into).collect();
            self
        }

        /// What the code may touch (nothing by default): grants, environment, modules, host
        /// objects and limits.
        pub fn policy(mut self, policy: crate::policy::Policy) -> Self {
            self.launch.policy = policy;
            self
        }

        /// What the code reads on stdin (nothing by default).
        pub fn stdin(mut self, input: crate::wasi::input::Input) -> Self {
            self.launch.stdin = input;
            self
        }

        /// Where stdout goes (captured by default, read with `stdout()`).
        pub fn stdout(mut self, output: crate::wasi::output::Output) -> Self {
            self.launch.stdout = output;
            self
        }

        /// Where stderr goes (captured by default, read with `stderr()`).
        pub fn stderr(mut self, output: crate::wasi::output::Output) -> Self {
            self.launch.stderr = output;
            self
        }
    };
}

pub(crate) use launch_setters;
