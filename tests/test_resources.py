"""The one Jinja2 set-up (resources.template_environment): HTML escaped, text left alone, the
adviser's own copy of a template preferred to the package's."""

from __future__ import annotations

from adviser_analytics.resources import (
    PACKAGE_TEMPLATES,
    WORKSPACE_TEMPLATES,
    is_html_template,
    template_environment,
)

HOSTILE = "<script>alert('x')</script> & Co"


def test_html_templates_escape_and_text_templates_do_not(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "page.html.j2").write_text("<p>{{ value }}</p>")
    (folder / "page.txt.j2").write_text("{{ value }}")
    env = template_environment(folder)
    assert "<script>" not in env.get_template("page.html.j2").render(value=HOSTILE)
    assert "&lt;script&gt;" in env.get_template("page.html.j2").render(value=HOSTILE)
    assert env.get_template("page.txt.j2").render(value=HOSTILE) == HOSTILE
    # a template written in the code (no file name) is HTML
    assert "&amp; Co" in env.from_string("{{ value }}").render(value=HOSTILE)


def test_which_names_count_as_html():
    assert [is_html_template(n) for n in ("a.html", "a.html.j2", "a.HTM", "a.txt.j2", "a.md")] \
        == [True, True, True, False, False]


def test_the_workspace_copy_wins_and_the_package_folder_is_the_default(tmp_path):
    own = tmp_path / WORKSPACE_TEMPLATES
    own.mkdir()
    (own / "advice.txt.j2").write_text("my own words")
    env = template_environment(workspace=tmp_path)
    assert env.get_template("advice.txt.j2").render() == "my own words"
    shipped = template_environment().get_template("advice.html.j2").filename
    assert shipped == str(PACKAGE_TEMPLATES / "advice.html.j2")
