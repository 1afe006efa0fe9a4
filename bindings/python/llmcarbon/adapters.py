"""Adapters for training frameworks: PyTorch loops, the Hugging Face
Trainer and the PyTorch Lightning Trainer.

Nothing here imports torch, transformers or lightning when this module is
imported; each is imported only when a feature that needs it is used
(sync=True, hf_callback(), lightning_callback()).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, Optional, Tuple, Union

from .errors import Error, MeasurementWarning
from .tracker import Tracker

TokensPerStep = Union[None, int, Callable[[Any, Any], int]]


def _count_tokens(batch: Any) -> int:
    """Tokens in a batch without importing torch: the element count of
    input_ids (a mapping key or an attribute), else of the batch itself when
    it has numel(), else 0."""
    ids = None
    if isinstance(batch, dict):
        ids = batch.get("input_ids")
    elif batch is not None:
        ids = getattr(batch, "input_ids", None)
        if ids is None and hasattr(batch, "numel"):
            ids = batch
    if ids is not None and hasattr(ids, "numel"):
        return int(ids.numel())
    return 0


def _cuda_sync_function() -> Optional[Callable[[], None]]:
    """A function that waits for the current CUDA device, or None when torch
    is not importable or has no CUDA device."""
    try:
        import torch  # noqa: deliberately lazy
    except ImportError:
        return None
    try:
        if not torch.cuda.is_available():
            return None
        device = torch.cuda.current_device()
    except Exception:
        return None
    synchronize = torch.cuda.synchronize

    def sync() -> None:
        # Runs on the library's sampler thread: name the trainer's device.
        synchronize(device)

    return sync


class TorchStepCallback:
    """Counts steps of a plain PyTorch training loop: call it after each
    optimizer step.

        cb = TorchStepCallback(tracker, tokens_per_step=4096)
        for batch in loader:
            ...; optimizer.step()
            cb()                      # or cb(batch), cb(tokens=n)

    The tokens of a step are, in order: the tokens argument; tokens_per_step;
    the element count of batch["input_ids"] (or of batch itself, if it is a
    tensor); else 0, which counts the step alone.

    With sync=True, and when torch is importable and CUDA is available, the
    tracker waits for the current GPU (torch.cuda.synchronize) before each
    sample, so that queued kernels land in their interval. The tracker must
    not have started yet for that (the library takes the sync function only
    before the start); otherwise a MeasurementWarning says so.
    """

    def __init__(self, tracker: Tracker, tokens_per_step: Optional[int] = None,
                 sync: bool = False) -> None:
        self.tracker = tracker
        self.tokens_per_step = tokens_per_step
        #: True when the CUDA sync function was installed.
        self.sync_installed = False
        self._step = tracker.step
        if sync:
            fn = _cuda_sync_function()
            if fn is not None:
                try:
                    tracker.set_sync(fn)
                    self.sync_installed = True
                except Error as exc:
                    warnings.warn("llmcarbon: no GPU sync before samples: %s "
                                  "(create TorchStepCallback(sync=True) "
                                  "before the tracker starts)" % exc,
                                  MeasurementWarning, stacklevel=2)

    def __call__(self, batch: Any = None, tokens: Optional[int] = None) -> None:
        if tokens is None:
            tokens = self.tokens_per_step
            if tokens is None:
                tokens = _count_tokens(batch) if batch is not None else 0
        self._step(tokens)


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default) if obj is not None else default


class _FrameworkCallback:
    """What the framework callbacks share: the tracker (given, or made from
    config at the start of training), whether they started it, and the
    phase they last set on it, switched with a warning (never an error)
    when the tracker refuses."""

    def __init__(self, tracker: Optional[Tracker], tokens_per_step: Any,
                 config: Optional[str]) -> None:
        self.tracker = tracker
        self.tokens_per_step = tokens_per_step
        self.config = config
        self._owns_tracker = tracker is None
        self._started_here = False
        self._phase = "train"

    def _begin(self) -> None:
        """Creates the tracker if none was given, and starts it unless it
        runs already."""
        if self.tracker is None:
            self.tracker = Tracker(self.config)
        if not self.tracker.running and self.tracker.measuring:
            self._started_here = self.tracker.start()
        self._phase = "train"

    def _end(self) -> None:
        """Back to "train"; stops the tracker if this callback started (or
        made) it. A failure to stop warns and never ends training with an
        error."""
        if self.tracker is None:
            return
        self._switch("train")
        if self._started_here or self._owns_tracker:
            try:
                self.tracker.stop()
            except Error as exc:
                warnings.warn("llmcarbon: the tracker did not stop cleanly: "
                              "%s" % exc, MeasurementWarning, stacklevel=3)

    def _switch(self, name: str) -> None:
        if self.tracker is None or name == self._phase:
            return
        try:
            self.tracker.phase(name)
            self._phase = name
        except Error as exc:
            warnings.warn("llmcarbon: phase %r: %s" % (name, exc),
                          MeasurementWarning, stacklevel=3)


def _with_framework_base(ours: type, name: str,
                         candidates: Tuple[Tuple[str, str], ...]) -> type:
    """ours, made a subclass of the first framework class of candidates
    ((module, class) pairs) that can be imported too; ours alone when none
    can."""
    for module, attribute in candidates:
        try:
            base = getattr(__import__(module, fromlist=[attribute]),
                           attribute)
        except (ImportError, AttributeError):
            continue
        return type(name, (ours, base), {"__doc__": ours.__doc__,
                                         "__module__": __name__})
    return ours


class HFTrainerCallback(_FrameworkCallback):
    """The Hugging Face TrainerCallback protocol over a Tracker.

    Use hf_callback() to get an instance that subclasses
    transformers.TrainerCallback; this plain class has the same methods and
    works with any object that calls them.

    tracker is a Tracker to use; without one, a Tracker(config) is created
    and started at on_train_begin and stopped at on_train_end. A tracker
    given but not started is started at on_train_begin and stopped at
    on_train_end; one already running is left running.

    Each optimizer step (on_step_end) counts tokens_per_step tokens, or
    tokens_per_step(args, state) when it is a function; without it, the
    samples of the step in this process (per_device_train_batch_size x
    gradient_accumulation_steps) are counted in place of tokens, so that
    j_per_token then means joules per sample.

    Evaluation runs in the phase "eval" and saving in "checkpoint": the
    Trainer evaluates and saves right after on_step_end when
    control.should_evaluate or control.should_save is set (by its
    DefaultFlowCallback, which runs before this one), so the callback
    switches there, and at each on_prediction_step; it returns to "train"
    at on_evaluate (or goes on to "checkpoint" when a save follows) and at
    on_save, which the Trainer calls once the checkpoint is written. on_log adds carbon/total_kgco2e
    and carbon/energy_kwh to the logs when they are known.
    """

    def __init__(self, tracker: Optional[Tracker] = None,
                 tokens_per_step: TokensPerStep = None,
                 config: Optional[str] = None) -> None:
        super().__init__(tracker, tokens_per_step, config)

    # -- helpers ----------------------------------------------------------

    def _tokens(self, args: Any, state: Any) -> int:
        tps = self.tokens_per_step
        if callable(tps):
            return int(tps(args, state))
        if tps is not None:
            return int(tps)
        batch = _getattr(args, "per_device_train_batch_size", 0) or 0
        accumulation = _getattr(args, "gradient_accumulation_steps", 1) or 1
        return int(batch) * int(accumulation)

    # -- TrainerCallback protocol -----------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any,
                       **kwargs: Any) -> None:
        """Creates the tracker if none was given, and starts it unless it
        runs already."""
        self._begin()

    def on_step_end(self, args: Any, state: Any, control: Any,
                    **kwargs: Any) -> None:
        """Counts the optimizer step; switches to "eval" or "checkpoint" when
        the Trainer is about to evaluate or save."""
        if self.tracker is None:
            return
        self.tracker.step(self._tokens(args, state))
        if _getattr(control, "should_evaluate", False):
            self._switch("eval")
        elif _getattr(control, "should_save", False):
            self._switch("checkpoint")

    def on_prediction_step(self, args: Any, state: Any, control: Any,
                           **kwargs: Any) -> None:
        """An evaluation batch: the phase is "eval"."""
        self._switch("eval")

    def on_evaluate(self, args: Any, state: Any, control: Any,
                    **kwargs: Any) -> None:
        """Evaluation has ended: back to "train", or on to "checkpoint" when
        a save follows."""
        if _getattr(control, "should_save", False):
            self._switch("checkpoint")
        else:
            self._switch("train")

    def on_save(self, args: Any, state: Any, control: Any,
                **kwargs: Any) -> None:
        """The checkpoint is written: back to "train"."""
        self._switch("train")

    def on_log(self, args: Any, state: Any, control: Any,
               logs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        """Adds carbon/total_kgco2e and carbon/energy_kwh to logs, each only
        when it is known."""
        if self.tracker is None or logs is None or not self.tracker.measuring:
            return
        try:
            totals = self.tracker.totals()
        except Error:
            return
        if totals.total_kgco2e is not None:
            logs["carbon/total_kgco2e"] = totals.total_kgco2e
        if totals.energy_kwh is not None:
            logs["carbon/energy_kwh"] = totals.energy_kwh

    def on_train_end(self, args: Any, state: Any, control: Any,
                     **kwargs: Any) -> None:
        """Stops the tracker if this callback started it; a failure to stop
        warns and never ends training with an error."""
        self._end()

    # The other protocol methods do nothing here.
    def on_init_end(self, args: Any, state: Any, control: Any,
                    **kwargs: Any) -> None:
        """Unused."""

    def on_epoch_begin(self, args: Any, state: Any, control: Any,
                       **kwargs: Any) -> None:
        """Unused."""

    def on_epoch_end(self, args: Any, state: Any, control: Any,
                     **kwargs: Any) -> None:
        """Unused."""

    def on_step_begin(self, args: Any, state: Any, control: Any,
                      **kwargs: Any) -> None:
        """Unused."""

    def on_substep_end(self, args: Any, state: Any, control: Any,
                       **kwargs: Any) -> None:
        """Unused."""

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any,
                              **kwargs: Any) -> None:
        """Unused."""

    def on_optimizer_step(self, args: Any, state: Any, control: Any,
                          **kwargs: Any) -> None:
        """Unused."""

    def on_predict(self, args: Any, state: Any, control: Any,
                   **kwargs: Any) -> None:
        """Unused."""


_hf_class: Optional[type] = None


def _hf_trainer_callback_class() -> type:
    """HFTrainerCallback, subclassing transformers.TrainerCallback when
    transformers is importable (built once)."""
    global _hf_class
    if _hf_class is None:
        _hf_class = _with_framework_base(
            HFTrainerCallback, "LLMCarbonTrainerCallback",
            (("transformers", "TrainerCallback"),))
    return _hf_class


def hf_callback(tracker: Optional[Tracker] = None,
                tokens_per_step: TokensPerStep = None,
                config: Optional[str] = None) -> HFTrainerCallback:
    """A callback for transformers.Trainer(callbacks=[...]) that measures
    the run; see HFTrainerCallback for what it does. It subclasses
    transformers.TrainerCallback when transformers is importable.

        trainer = Trainer(..., callbacks=[hf_callback(config="grid=FR")])
    """
    return _hf_trainer_callback_class()(tracker, tokens_per_step, config)


LightningTokens = Union[None, int, Callable[[Any, Any, Any], int]]


class LightningCallback(_FrameworkCallback):
    """The PyTorch Lightning Callback hooks over a Tracker.

    Use lightning_callback() to get an instance that subclasses
    lightning.pytorch.Callback (or pytorch_lightning.Callback); this plain
    class has the same methods and works with any object that calls them.

    tracker is a Tracker to use; without one, a Tracker(config) is created
    at on_fit_start. A tracker given but not started is started at
    on_fit_start and stopped at on_fit_end (or on_exception); one already
    running is left running.

    Steps are optimizer steps: the tokens of every training batch
    (on_train_batch_end) are added up, and a step with their sum is
    counted each time trainer.global_step moves on, so that with
    accumulate_grad_batches=N one step holds the tokens of N batches. The
    tokens of a batch are tokens_per_step (a number, or a function of
    (trainer, pl_module, batch)) when given, else the element count of
    batch["input_ids"] (or of the batch itself when it is a tensor), else 0.
    Tokens of batches after the last optimizer step are counted with one
    last step at on_train_end.

    Validation (the sanity check too) and testing run in the phase "eval",
    from on_validation_start/on_test_start to on_validation_end/
    on_test_end, after which the phase is the one before; saving a
    checkpoint runs in "checkpoint" from on_save_checkpoint (Lightning
    calls it as it builds the checkpoint, before writing it) until the next
    training batch starts or the fit ends. A failure of the tracker warns
    and never stops training.
    """

    def __init__(self, tracker: Optional[Tracker] = None,
                 tokens_per_step: LightningTokens = None,
                 config: Optional[str] = None) -> None:
        super().__init__(tracker, tokens_per_step, config)
        self._before_eval = "train"
        self._tokens = 0
        self._batches = 0
        self._global_step: Optional[int] = None

    def _batch_tokens(self, trainer: Any, pl_module: Any, batch: Any) -> int:
        tps = self.tokens_per_step
        if callable(tps):
            return int(tps(trainer, pl_module, batch))
        if tps is not None:
            return int(tps)
        return _count_tokens(batch)

    def _flush(self) -> None:
        if self._batches and self.tracker is not None:
            self.tracker.step(self._tokens)
        self._tokens = 0
        self._batches = 0

    def _stop(self) -> None:
        self._flush()
        self._end()

    # -- Callback hooks ----------------------------------------------------

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        """Creates the tracker if none was given, and starts it unless it
        runs already."""
        self._begin()
        self._global_step = _getattr(trainer, "global_step", 0)

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any,
                             batch_idx: int) -> None:
        """A training batch begins: the phase is "train"."""
        self._switch("train")

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        """Adds the batch's tokens; counts a step when the optimizer
        stepped (trainer.global_step moved on)."""
        if self.tracker is None:
            return
        self._tokens += self._batch_tokens(trainer, pl_module, batch)
        self._batches += 1
        step = _getattr(trainer, "global_step", None)
        if step is None or step != self._global_step:
            self._global_step = step
            self._flush()

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        """Validation (or the sanity check) begins: the phase is "eval"."""
        if self._phase != "eval":
            self._before_eval = self._phase
        self._switch("eval")

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        """Validation has ended: back to the phase before it."""
        self._switch(self._before_eval)

    on_test_start = on_validation_start
    on_test_end = on_validation_end

    def on_save_checkpoint(self, trainer: Any, pl_module: Any,
                           checkpoint: Any) -> None:
        """A checkpoint is being saved: the phase is "checkpoint" until
        training goes on."""
        self._switch("checkpoint")

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        """Counts the tokens of batches after the last optimizer step."""
        self._flush()

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        """Stops the tracker if this callback started (or made) it."""
        self._stop()

    def on_exception(self, trainer: Any, pl_module: Any,
                     exception: BaseException) -> None:
        """The fit failed: what was measured is kept (the tracker stops,
        its log and checkpoint are written); Lightning raises the error."""
        self._stop()


_lightning_class: Optional[type] = None


def _lightning_callback_class() -> type:
    """LightningCallback, subclassing lightning.pytorch.Callback (or
    pytorch_lightning.Callback) when one is importable (built once)."""
    global _lightning_class
    if _lightning_class is None:
        _lightning_class = _with_framework_base(
            LightningCallback, "LLMCarbonLightningCallback",
            (("lightning.pytorch", "Callback"),
             ("pytorch_lightning", "Callback")))
    return _lightning_class


def lightning_callback(tracker: Optional[Tracker] = None,
                       tokens_per_step: LightningTokens = None,
                       config: Optional[str] = None) -> LightningCallback:
    """A callback for lightning.pytorch.Trainer(callbacks=[...]) that
    measures the fit; see LightningCallback for what it does. It subclasses
    Lightning's Callback when lightning (or pytorch_lightning) is
    importable.

        trainer = L.Trainer(..., callbacks=[lightning_callback(
            config="grid=FR")])
    """
    return _lightning_callback_class()(tracker, tokens_per_step, config)
