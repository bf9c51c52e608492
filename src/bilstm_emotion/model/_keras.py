"""Keras for the modules that build, train and run networks, loaded the package's way.

:func:`~bilstm_emotion.core._backend.load_keras` picks an installed backend and keeps its
start-up lines off the terminal; importing Keras through this module makes sure that
happens first, whichever network module is imported first. The keras-free modules of
this package (the ONNX classifier, the pretrained models' loader, what the estimator
accepts as images) never import it: a shipped model predicts without a backend.
"""

from ..core._backend import load_keras

keras = load_keras()
layers, ops = keras.layers, keras.ops

__all__ = ["keras", "layers", "ops"]
