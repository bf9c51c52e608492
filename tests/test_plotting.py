"""Every plot builds a Figure without a display, from real reports and histories."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from bilstm_emotion.evaluation import evaluate
from bilstm_emotion.plotting import (
    plot_confident_mistakes,
    plot_confusion_matrix,
    plot_error_rates,
    plot_history,
)


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(scope="module")
def report(fitted, faces):
    X, y = faces
    return evaluate(fitted, X, y, timing=False)


@pytest.mark.parametrize("normalize", [True, False])
def test_confusion_matrix(report, normalize, tmp_path):
    fig = plot_confusion_matrix(report, normalize=normalize)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == len(report.labels) ** 2
    if not normalize:
        assert sorted(map(int, texts)) == sorted(np.ravel(report.confusion).tolist())
    fig.savefig(tmp_path / "cm.png")
    assert (tmp_path / "cm.png").stat().st_size > 1000


def test_error_rates(report):
    fig = plot_error_rates(report)
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == pytest.approx([report.error_rate[str(label)] for label in report.labels])


@pytest.mark.slow
def test_history_from_estimator_with_validation(faces, make_clf):
    X, y = faces
    clf = make_clf(early_stopping=True, epochs=3, validation_fraction=0.2).fit(X, y)
    fig = plot_history(clf)
    assert [ax.get_title() for ax in fig.axes] == ["accuracy", "loss"]
    assert [line.get_label() for line in fig.axes[1].lines] == ["training", "validation"]
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), clf.history_["loss"])


def test_history_needs_a_loss_curve():
    with pytest.raises(ValueError, match="Expected a training history"):
        plot_history({"accuracy": [0.5]})


def test_confident_mistakes_shows_only_mistakes_most_confident_first(fitted, faces):
    X, y = faces
    proba = fitted.predict_proba(X)
    pred = fitted.classes_[proba.argmax(1)]
    n_wrong = int((pred != y).sum())
    fig = plot_confident_mistakes(fitted, X, y, n=4)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == min(4, n_wrong)
    confidences = [float(t.split("(")[1].rstrip(")")) for t in titles]
    assert confidences == sorted(confidences, reverse=True)
    for title in titles:
        true, predicted = title.split("\n")[0].split(" → ")
        assert true != predicted


def test_emotion_timeline_and_shares():
    import matplotlib.pyplot as plt

    from bilstm_emotion.plotting import plot_emotion_shares, plot_emotion_timeline

    classes = ["happy", "sad"]
    records = [{"time": t / 10, "happy": 0.8, "sad": 0.2} for t in range(3)]
    fig = plot_emotion_timeline(records, classes, smooth=1.0)  # wider than the clip
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == classes
    assert len(lines[0].get_xdata()) == 3
    plt.close(fig)
    empty = plot_emotion_timeline([], classes)  # a video without faces: no legend, a title
    assert empty.axes[0].get_legend() is None and "no face" in empty.axes[0].get_title()
    plt.close(empty)
    table = [
        {"group": "a", "faces": 2, "happy": 0.5, "sad": 0.5},
        {"group": "b", "faces": 0, "happy": 0.0, "sad": 0.0},
    ]
    fig = plot_emotion_shares(table, classes)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [0.5, 0.0, 0.5, 0.0]
    plt.close(fig)
