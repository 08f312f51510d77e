"""Self-check blocks (calclib.quiz): bad input is refused; in a real Chromium, offline,
the correct answer is accepted, every listed wrong answer gets its own explanation, and
the keyboard alone is enough. One test drives the block on the built chapter 1 page."""

from __future__ import annotations

import json

import numpy as np
import pytest

import calclib as cl


def _block():
    v = np.array([3.0, -4.0])
    return cl.selfcheck(
        cl.numeric("What is the L1 norm of (3, −4)?", cl.norm(v, 1), tol=1e-6,
                   wrong={cl.norm(v): "That is the L2 norm.", -1.0: "Take absolute values."},
                   explain="|3| + |−4| = 7."),
        cl.choice("Which vector has length 1?", ["(1, 1)", "(0.6, 0.8)", "(0.5, 0.5)"],
                  correct=1, why={0: "Its length is √2.", 2: "Its length is √0.5."},
                  explain="0.36 + 0.64 = 1."),
        title="Check your understanding: test",
    )


# ---- bad input gets a clear error ----

def test_wrong_answer_equal_to_the_answer_is_refused():
    with pytest.raises(ValueError, match="within tol"):
        cl.numeric("q?", 1.0, tol=0.1, wrong={1.05: "x"}, explain="e")


def test_every_wrong_option_needs_an_explanation():
    with pytest.raises(ValueError, match=r"why\[2\] is missing"):
        cl.choice("q?", ["a", "b", "c"], correct=0, why={1: "no"}, explain="e")


@pytest.mark.parametrize("correct", [3, -1, True, 1.0])
def test_correct_must_be_an_option_index(correct):
    with pytest.raises(ValueError, match="option index"):
        cl.choice("q?", ["a", "b", "c"], correct=correct, why={0: "x", 1: "y", 2: "z"},
                  explain="e")


@pytest.mark.parametrize("answer, error", [(np.nan, ValueError), ("7", TypeError),
                                           (np.ones(2), TypeError)])
def test_answer_must_be_a_finite_number(answer, error):
    with pytest.raises(error):
        cl.numeric("q?", answer, explain="e")


def test_a_block_holds_one_to_four_questions_made_by_calclib():
    q = cl.numeric("q?", 1.0, explain="e")
    with pytest.raises(ValueError, match="1 to 4"):
        cl.selfcheck(q, q, q, q, q, title="t")
    with pytest.raises(TypeError, match="cl.numeric"):
        cl.selfcheck("What is 1 + 1?", title="t")


def test_pictures_need_one_alt_text_each():
    with pytest.raises(ValueError, match="one alt text per picture"):
        cl.pictures("q?", [lambda fig: fig.subplots(), lambda fig: fig.subplots()],
                    alts=["only one"], correct=0, why={1: "x"}, explain="e")


# ---- in Chromium ----


def _open(browser, url):
    page = browser.new_page()
    offsite = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
               else (offsite.append(r.request.url), r.abort()))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    return page, offsite, errors


@pytest.fixture
def block_page(browser, tmp_path):
    blk = _block()
    pic = cl.pictures("Which graph rises?", [lambda fig: fig.subplots().plot([0, 1], [0, 1]),
                                             lambda fig: fig.subplots().plot([0, 1], [1, 0])],
                      alts=["a line rising to the right", "a line falling to the right"],
                      correct=0, why={1: "It falls."}, explain="Slope +1.")
    two = cl.selfcheck(pic, title="Check your understanding: pictures")
    f = tmp_path / "page.html"
    f.write_text(f"<!doctype html><html lang='en'><body>{blk.to_html()}{two.to_html()}"
                 "</body></html>")
    page, offsite, errors = _open(browser, f.as_uri())
    yield page
    assert not offsite and not errors, (offsite, errors)
    page.close()


def _feedback(fieldset):
    return fieldset.locator(".cl-feedback").inner_text()


@pytest.mark.slow
def test_numeric_accepts_the_answer_and_explains_each_wrong_one(block_page):
    q = block_page.locator("fieldset[data-kind=numeric]").first
    box = q.locator("input")
    for typed, expected in [("7", "Correct. |3| + |−4| = 7."), ("14/2", "Correct."),
                            ("5", "That is the L2 norm."), ("−1", "Take absolute values."),
                            ("6", "Not quite."), ("seven", "Type a number")]:
        box.fill(typed)
        q.locator("button.cl-check").click()
        assert expected in _feedback(q), (typed, _feedback(q))


@pytest.mark.slow
def test_choice_by_keyboard_alone(block_page):
    q = block_page.locator("fieldset[data-kind=choice]").first
    q.locator("input[value='0']").focus()
    block_page.keyboard.press("Space")
    assert "Its length is √2." in _feedback(q)
    block_page.keyboard.press("ArrowRight")          # moves to and selects option 1
    assert _feedback(q).startswith("Correct.")
    block_page.keyboard.press("ArrowRight")
    assert "Its length is √0.5." in _feedback(q)


@pytest.mark.slow
def test_numeric_by_keyboard_and_announced(block_page):
    q = block_page.locator("fieldset[data-kind=numeric]").first
    q.locator("input").focus()
    block_page.keyboard.type("7")
    block_page.keyboard.press("Enter")
    out = q.locator(".cl-feedback")
    assert out.get_attribute("role") == "status" and out.get_attribute("aria-live") == "polite"
    assert _feedback(q).startswith("Correct.")


@pytest.mark.slow
def test_which_picture(block_page):
    q = block_page.locator("fieldset[data-kind=choice]").nth(1)
    imgs = q.locator("img")
    assert imgs.count() == 2
    assert imgs.nth(0).get_attribute("alt") == "a line rising to the right"
    assert block_page.evaluate("img => img.naturalWidth", imgs.nth(0).element_handle()) > 0
    q.locator("input[value='1']").check()
    assert "It falls." in _feedback(q)
    q.locator("input[value='0']").check()
    assert _feedback(q).startswith("Correct.")


@pytest.mark.slow
def test_the_chapter_1_block_answers_in_the_built_book(built_book, browser):
    page, offsite, errors = _open(browser, (built_book / "chapters" /
                                            "ch01-introduction.html").as_uri())
    q = page.locator(".cl-selfcheck fieldset[data-kind=numeric]").first
    q.locator("input").fill("0.5")
    q.locator("button.cl-check").click()
    assert q.locator(".cl-feedback").inner_text().startswith("Correct.")
    q.locator("input").fill("1")
    q.locator("button.cl-check").click()
    assert "bounce" in q.locator(".cl-feedback").inner_text()
    assert not offsite and not errors, (offsite, errors)
    page.close()


@pytest.mark.slow
def test_every_self_check_of_the_book_answers(built_book, browser):
    """On every built chapter page, each question accepts its answer and gives each
    listed wrong answer (or wrong option) its own explanation, with no network."""
    from conftest import chapter_files

    counts = {}
    for chapter in chapter_files():
        page, offsite, errors = _open(browser, (built_book / f"{chapter}.html").as_uri())
        blocks = page.locator(".cl-selfcheck")
        n = 0
        for q in page.locator(".cl-selfcheck fieldset").all():
            n += 1
            legend = q.locator("legend").inner_text()[:60]
            if q.get_attribute("data-kind") == "numeric":
                box = q.locator("input")
                tries = [(q.get_attribute("data-answer"), "Correct.")]
                tries += [(repr(w), why) for w, why in
                          json.loads(q.get_attribute("data-wrong"))]
                for typed, expected in tries:
                    box.fill(typed)
                    q.locator("button.cl-check").click()
                    assert expected in _feedback(q), (chapter, legend, typed, _feedback(q))
            else:
                correct = q.get_attribute("data-correct")
                for opt in q.locator("input[type=radio]").all():
                    opt.check()
                    fb = _feedback(q)
                    if opt.get_attribute("value") == correct:
                        assert fb.startswith("Correct."), (chapter, legend, fb)
                    else:
                        assert opt.get_attribute("data-why") in fb and not fb.startswith(
                            "Correct."), (chapter, legend, fb)
        counts[chapter] = (blocks.count(), n)
        assert not offsite and not errors, (chapter, offsite, errors)
        page.close()
    print("self-check blocks, questions per page:", counts)
    assert all(q >= 2 * max(b, 1) for b, q in counts.values()), counts
