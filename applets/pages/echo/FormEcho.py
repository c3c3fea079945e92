"""A form that posts back to its page, and an echo of what was sent. The applet escapes what a
visitor typed; if it forgot, the host's sanitizer would still keep markup out of the page."""
import html


class FormEcho:
    def __init__(self, page, field="message", prompt="Say something"):
        self.page = page
        self.field = field
        self.prompt = prompt

    def render(self):
        fields = self.page.query()
        self.page.html(f'<form method="get"><label>{self.prompt} '
                       f'<input name="{self.field}" type="text"></label>'
                       '<button type="submit">Send</button></form>')
        said = fields.get(self.field)
        if said is None:
            self.page.html('<p class="echo">Nothing sent yet.</p>')
        else:
            self.page.html(f'<p class="echo">You said: {html.escape(said)}</p>')
