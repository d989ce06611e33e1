"""body_html: CommonMark without raw HTML, safe links only; a property test with hostile input."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clickclack.render import render_markdown


@pytest.mark.parametrize(("source", "expected"), [
    ("**bold** _it_ ~~gone~~", "<p><strong>bold</strong> <em>it</em> <s>gone</s></p>"),
    ("<b>raw</b>", "<p>&lt;b&gt;raw&lt;/b&gt;</p>"),
    ("see https://example.com/x", '<a href="https://example.com/x" rel="noopener noreferrer '
                                  'nofollow">https://example.com/x</a>'),
    ("```python\nprint(1)\n```", '<pre><code class="language-python">print(1)\n</code></pre>'),
    ("| a | b |\n|---|---|\n| 1 | 2 |", "<table>"),
    ("[mail](mailto:a@example.com)", 'href="mailto:a@example.com"'),
])
def test_renders_the_supported_markdown(source, expected):
    assert expected in render_markdown(source)


@pytest.mark.parametrize("source", [
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](data:text/html,<script>)",
    "[x](vbscript:msgbox)", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "![img](https://example.com/a.png)", '<a href="javascript:alert(1)">x</a>',
    "```\"><script>alert(1)</script>\n```", "[x](&#106;avascript:alert(1))",
    '<svg onload=alert(1)>', "[x](java\tscript:alert(1))", "<iframe src=//evil>",
    "[x]()", "[x](/api/auth/logout)", "[x](//evil.example)",
])
def test_hostile_input_never_becomes_markup(source):
    assert_safe(render_markdown(source))


ALLOWED_TAG = re.compile(r"</?(p|br|strong|em|del|s|code|pre|blockquote|ul|ol|li|a|h[1-6]|hr|"
                         r"table|thead|tbody|tr|th|td)(\s[^>]*)?/?>")


def assert_safe(html: str) -> None:
    """Every real tag is allow-listed, with allow-listed attributes and safe link schemes.  Text
    such as ``&lt;script&gt;`` or ``onerror=`` between tags is inert."""
    for tag in re.findall(r"<[^>]*>", html):
        assert ALLOWED_TAG.fullmatch(tag), tag
        attrs = re.findall(r'\s([\w-]+)="([^"]*)"', tag)
        # No unquoted or odd attributes: every "=" outside quoted values belongs to one.
        assert len(attrs) == re.sub(r'"[^"]*"', '""', tag).count("="), tag
        for name, value in attrs:
            assert name in ("href", "title", "class", "start", "rel"), tag
            if name == "href":
                assert re.match(r"(https?:|mailto:)", value), tag
            if name == "class":
                assert re.fullmatch(r"language-[\w+#.-]+", value), tag
    assert "<" not in re.sub(r"<[^>]*>", "", html)  # no stray raw angle bracket survives


HOSTILE_PIECES = st.sampled_from([
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "[", "](", ")",
    "<", ">", '"', "'", "`", "```", "*", "_", "~~", "|", "\n", "&#", "&lt;", "%0a", "on",
    "error=", "<a href=", "data:", "http://", "mailto:", "\x00", "\u202e", "<svg/onload=",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(HOSTILE_PIECES, st.text(max_size=8)), max_size=40).map("".join))
def test_property_no_script_handler_or_javascript_url_ever(source):
    assert_safe(render_markdown(source))


PLAINISH = st.text(alphabet="abcXYZ019 ,;?!'.:", max_size=60).map(str.strip)


@settings(max_examples=500, deadline=None)
@given(PLAINISH)
def test_the_plain_text_shortcut_matches_the_full_renderer(body):
    from clickclack.render import markdown

    full = markdown.nh3.clean(markdown._md.render(body), tags=markdown._TAGS,
                              attributes=markdown._ATTRIBUTES,
                              attribute_filter=markdown._filter,
                              url_schemes={"http", "https", "mailto"},
                              link_rel="noopener noreferrer nofollow",
                              strip_comments=True).strip()
    assert render_markdown(body) == full


def test_the_shortcut_leaves_links_and_lists_to_the_parser():
    assert "<a " in render_markdown("see example.com")
    assert "<ol>" in render_markdown("1. first")
    assert render_markdown("Done: deploy finished.") == "<p>Done: deploy finished.</p>"
