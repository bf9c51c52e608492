"""Figures of an evaluation, a training history and the model's mistakes.

Every function returns a :class:`matplotlib.figure.Figure` (made with
``pyplot``, as scikit-learn's displays do, so notebooks show it); it works
without a display under the Agg backend, which matplotlib picks by itself on
machines without one. Save it with ``fig.savefig("name.png")`` and close it
with ``matplotlib.pyplot.close(fig)`` in long-running programs. Needs
matplotlib: ``pip install "bilstm-emotion[plots]"``.
"""

import numpy as np

__all__ = [
    "plot_confident_mistakes",
    "plot_confusion_matrix",
    "plot_emotion_shares",
    "plot_emotion_timeline",
    "plot_error_rates",
    "plot_history",
]


def pyplot():
    """``matplotlib.pyplot``, or an ImportError that names the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f'Plotting needs matplotlib: pip install "bilstm-emotion[plots]" (missing: {exc.name})'
        ) from exc
    return plt


def _figure(**kwargs):
    return pyplot().figure(**kwargs)


def plot_confusion_matrix(report, *, normalize=True, cmap="Blues"):
    """The confusion matrix of an :class:`~bilstm_emotion.evaluation.EvaluationReport`.

    Parameters
    ----------
    report : EvaluationReport
        From :func:`~bilstm_emotion.evaluation.evaluate`.
    normalize : bool, default=True
        Show each true class's row as fractions (else counts).
    cmap : str, default="Blues"
        Matplotlib colour map.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    fig = _figure(figsize=(6.5, 5.5), layout="constrained")
    ax = fig.add_subplot()
    matrix = report.confusion_normalized if normalize else np.asarray(report.confusion)
    ConfusionMatrixDisplay(matrix, display_labels=report.labels).plot(
        ax=ax,
        cmap=cmap,
        values_format=".2f" if normalize else "d",
        colorbar=False,
        xticks_rotation=45,
    )
    ax.set_title(
        f"{'Row-normalised c' if normalize else 'C'}onfusion matrix "
        f"(accuracy {report.accuracy:.3f})"
    )
    return fig


def plot_error_rates(report):
    """Bars: the fraction of each class's faces predicted as another class."""
    fig = _figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.add_subplot()
    labels = [str(label) for label in report.labels]
    rates = [report.error_rate[label] for label in labels]
    bars = ax.bar(labels, rates, color="tab:red")
    ax.bar_label(bars, labels=[f"{r:.0%}" for r in rates], padding=2)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("fraction predicted wrong")
    ax.set_title("Incorrect predictions per class")
    ax.tick_params(axis="x", rotation=45)
    return fig


def plot_history(history):
    """Training curves: accuracy and loss per epoch, training vs validation.

    Parameters
    ----------
    history : dict or fitted estimator
        ``clf.history_`` (or the estimator itself, or a Keras ``History``).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    history = getattr(history, "history_", getattr(history, "history", history))
    if not isinstance(history, dict) or "loss" not in history:
        keys = sorted(history) if isinstance(history, dict) else "-"
        raise ValueError(
            "Expected a training history with a 'loss' curve (clf.history_). Received: "
            f"{type(history).__name__} with keys {keys}"
        )
    fig = _figure(figsize=(9, 3.5), layout="constrained")
    epochs = np.arange(1, len(history["loss"]) + 1)
    for i, metric in enumerate(("accuracy", "loss")):
        ax = fig.add_subplot(1, 2, i + 1)
        for prefix, style in (("", "-"), ("val_", "--")):
            if prefix + metric in history:
                label = "validation" if prefix else "training"
                ax.plot(epochs, history[prefix + metric], style, marker="o", ms=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.legend()
    return fig


def plot_confident_mistakes(estimator, X, y, *, n=16, ncols=8):
    """A grid of the faces the model got wrong with the highest confidence.

    Parameters
    ----------
    estimator : fitted classifier
        With ``predict_proba`` and ``classes_``.
    X : array-like of shape (n_samples, height, width) or (n_samples, height * width)
        The faces, as the estimator takes them.
    y : array-like of shape (n_samples,)
        True labels.
    n : int, default=16
        At most this many faces are shown.
    ncols : int, default=8
        Faces per row.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Each face titled ``true → predicted (probability)``.
    """
    proba = np.asarray(estimator.predict_proba(X))
    y = np.asarray(y)
    pred = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
    wrong = np.flatnonzero(pred != y)
    order = wrong[np.argsort(-proba[wrong].max(axis=1), kind="stable")][:n]
    images = np.asarray(X)
    if images.ndim == 2:
        shape = getattr(estimator, "image_shape_", None)
        side = int(np.sqrt(images.shape[1]))
        images = images.reshape(-1, *(shape or (side, side)))
    rows = max(1, -(-len(order) // ncols))
    fig = _figure(figsize=(1.3 * ncols, 1.6 * rows), layout="constrained")
    fig.suptitle(f"Most confident mistakes ({len(wrong)} of {len(y)} faces wrong)")
    for k, i in enumerate(order):
        ax = fig.add_subplot(rows, ncols, k + 1)
        ax.imshow(np.squeeze(images[i]), cmap="gray")
        ax.set_title(f"{y[i]} → {pred[i]}\n({proba[i].max():.2f})", fontsize=7)
        ax.axis("off")
    return fig


def plot_emotion_shares(table, classes):
    """Stacked bars: the share of each emotion per group of a summary table.

    Parameters
    ----------
    table : list of dict
        From :func:`bilstm_emotion.monitoring.summarize` (``group``,
        ``faces`` and one share per emotion).
    classes : list of str
        The emotions, in stacking order.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    fig = _figure(figsize=(max(5.0, 0.8 * len(table) + 3), 4.5), layout="constrained")
    ax = fig.add_subplot()
    groups = [f"{row['group']}\n({row['faces']} faces)" for row in table]
    bottom = np.zeros(len(table))
    for emotion in classes:
        share = np.array([float(row[emotion] or 0) for row in table])
        ax.bar(groups, share, bottom=bottom, label=emotion)
        bottom += share
    ax.set_ylabel("share of faces")
    ax.set_ylim(0, 1)
    ax.set_title("Emotions per group")
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    return fig


def plot_emotion_timeline(records, classes, *, smooth=1.0):
    """Probability of each emotion over time, averaged over the faces on screen.

    Parameters
    ----------
    records : list of dict
        Face records with ``time`` (seconds) and one probability per
        emotion, as written by :func:`bilstm_emotion.video.analyze_video`.
    classes : list of str
        The emotions to draw.
    smooth : float, default=1.0
        Width in seconds of the moving average (``0``: none).

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    fig = _figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    times = np.array(sorted({float(r["time"]) for r in records}))
    if len(times):
        index = {t: i for i, t in enumerate(times)}
        sums = np.zeros((len(times), len(classes)))
        counts = np.zeros(len(times))
        for r in records:
            i = index[float(r["time"])]
            sums[i] += [float(r[c]) for c in classes]
            counts[i] += 1
        mean = sums / counts[:, None]
        step = np.median(np.diff(times)) if len(times) > 1 else 1.0
        width = min(len(times), max(1, round(float(smooth / step)))) if smooth else 1
        kernel = np.ones(width) / width
        for j, emotion in enumerate(classes):
            curve = np.convolve(mean[:, j], kernel, mode="same") if width > 1 else mean[:, j]
            ax.plot(times, curve, label=emotion)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mean probability over faces")
    ax.set_ylim(0, 1)
    ax.set_title("Emotions over time" if len(times) else "Emotions over time: no face seen")
    if len(times):
        ax.legend(loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
    return fig
