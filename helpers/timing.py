"""The epoch timer shown in notebook 03, reused by 05 and 06. Import it after `helpers.setup()`."""
from __future__ import annotations

import time

import keras


class EpochTimer(keras.callbacks.Callback):
    """Seconds each epoch took, in `timer.seconds` (one number per epoch).

    Introduced in notebook 03, section 1; reused by 05 and 06.
    """

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
