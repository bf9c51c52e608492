"""What ``tools/train_fer2013.py`` trains with besides the package: the archive of training
presets (``presets``), stochastic weight averaging (``averaging``) and what a run resumed
across sessions keeps beside its checkpoint (``resuming``)."""
