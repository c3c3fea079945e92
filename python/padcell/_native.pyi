"""Type stubs for padcell._native, the Rust extension (see python/src/)."""

import os
from typing import Any, Callable, Dict, IO, List, Mapping, Optional, Sequence, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]
#: What crosses into and out of a cell: None, bool, int, float, str, bytes, list, tuple, dict.
PlainData = Any
#: A cell's stdin: bytes or str (then end of file), a file with read(), or None (empty).
StdinSource = Union[None, bytes, str, IO[Any]]
#: A cell's stdout/stderr: None (captured), a stream with write(), or a callable taking bytes.
OutputTarget = Union[None, IO[Any], Callable[[bytes], Any]]

DEFAULT_ALLOWED_MODULES: List[str]
DEFAULT_SYS_NAMES: List[str]
DEFAULT_OS_NAMES: List[str]
DEFAULT_HIDDEN_BUILTINS: List[str]
GUEST_HASH: str

def read_manifest(dir: PathLike) -> Tuple[str, List[str], Optional[str]]:
    """An applet directory's applet.toml: (entry file, args, audit log)."""

class Policy:
    """What a cell may touch. Grants are opened now; a bad one raises PolicyError(kind=keyword)."""

    def __init__(
        self,
        *,
        applet: Optional[PathLike] = ...,
        dirs: Optional[Mapping[PathLike, str]] = ...,
        rw_dirs: Optional[Mapping[PathLike, str]] = ...,
        files: Optional[Mapping[PathLike, str]] = ...,
        rw_files: Optional[Mapping[PathLike, str]] = ...,
        env: Optional[Mapping[str, str]] = ...,
        modules: Optional[Sequence[str]] = ...,
        allow_modules: Optional[Sequence[str]] = ...,
        deny_modules: Optional[Sequence[str]] = ...,
        module_roots: Optional[Sequence[PathLike]] = ...,
        hidden_builtins: Optional[Sequence[str]] = ...,
        hide_builtins: Optional[Sequence[str]] = ...,
        show_builtins: Optional[Sequence[str]] = ...,
        sys_names: Optional[Sequence[str]] = ...,
        allow_sys: Optional[Sequence[str]] = ...,
        deny_sys: Optional[Sequence[str]] = ...,
        os_names: Optional[Sequence[str]] = ...,
        allow_os: Optional[Sequence[str]] = ...,
        deny_os: Optional[Sequence[str]] = ...,
        timeout: Union[None, float, str] = ...,
        memory: Union[None, int, str] = ...,
        fuel: Optional[int] = ...,
        max_output: Union[None, int, str] = ...,
        open_files: Optional[int] = ...,
        disk: Union[None, int, str] = ...,
        objects: Union[None, Mapping[str, Any], Sequence["Bastion"]] = ...,
        on_open: Optional[Callable[..., Any]] = ...,
        on_audit: Optional[Callable[[Dict[str, Any]], Any]] = ...,
    ) -> None: ...
    def replace(self, **changes: Any) -> "Policy":
        """A new policy with these keywords changed (None removes one)."""
    @property
    def options(self) -> Dict[str, Any]: ...
    @property
    def limits(self) -> Dict[str, Any]: ...
    @property
    def grants(self) -> List[Tuple[str, str]]: ...

class Bastion:
    """A Python object granted to cells: its public methods, narrowed by filter."""

    def __init__(self, object: Any, filter: Optional[Callable[[str], bool]] = ..., name: Optional[str] = ...) -> None: ...
    @property
    def name(self) -> Optional[str]: ...
    def methods(self) -> List[str]: ...
    def __getattr__(self, attr: str) -> Callable[..., Any]: ...

class CancelHandle:
    def cancel(self) -> None:
        """Stops the cell's running call; it raises LimitError('cancelled')."""

class Cell:
    """One interpreter in its sandbox. Calls release the GIL."""

    @property
    def id(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    @property
    def stdout(self) -> bytes:
        """What the cell printed since the last read (empty when streamed)."""
    @property
    def stderr(self) -> bytes: ...
    def exec(self, code: str) -> None: ...
    def eval(self, expr: str) -> PlainData: ...
    def call(self, name: str, *args: PlainData) -> PlainData: ...
    def exec_file(self, path: PathLike) -> None: ...
    def exec_source(self, filename: str, source: str) -> None: ...
    def import_module(self, name: str) -> None: ...
    def unload(self, name: str) -> None: ...
    def reset(self) -> None: ...
    def cancel(self) -> None: ...
    def cancel_handle(self) -> CancelHandle: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Cell": ...
    def __exit__(self, *exc: Any) -> bool: ...

class WasiRun:
    code: int
    stdout: bytes
    stderr: bytes

class WasiModule:
    @property
    def name(self) -> str: ...
    def imports(self) -> List[Tuple[str, str]]: ...
    def run(
        self,
        args: Optional[Sequence[str]] = ...,
        *,
        policy: Optional[Policy] = ...,
        stdin: StdinSource = ...,
        stdout: OutputTarget = ...,
        stderr: OutputTarget = ...,
    ) -> WasiRun: ...

class Supervisor:
    """One engine and the compiled interpreter; makes cells. Shared safely across threads."""

    def __init__(
        self,
        *,
        cache_dir: Optional[PathLike] = ...,
        metered: bool = ...,
        on_audit: Optional[Callable[[Dict[str, Any]], Any]] = ...,
        max_cells: Optional[int] = ...,
    ) -> None: ...
    def cell(
        self,
        policy: Optional[Policy] = ...,
        *,
        args: Optional[Sequence[str]] = ...,
        stdin: StdinSource = ...,
        stdout: OutputTarget = ...,
        stderr: OutputTarget = ...,
    ) -> Cell: ...
    def wasi(self, module: Union[PathLike, bytes], *, name: Optional[str] = ...) -> WasiModule: ...
    @property
    def metered(self) -> bool: ...
    @property
    def modules_compiled(self) -> int: ...
