"""Real call chains read from the installed fastai and timm, to measure the static resolver.

Each chain is a list of hops `(caller, callee, call text)`: `caller` is a dotted path `nav`
resolves, `callee` the full name of the definition the call reaches, and `call text` how the
line of the call starts in the caller's file (the expected line is read from the source with
`line_of`, never written down). Comments say what kind of call each chain exercises.

`MISSED` lists real calls the resolver does not find (yet); `tests/benchmarks/trace_recall.py`
prints the recall over both lists.
"""
from __future__ import annotations

from pathlib import Path

from tests.helpers import line_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tags.store import Index

Hop = tuple[str, str, str]


def hop_found(index: Index, hop: Hop) -> bool:
    """The caller's callee tree has the callee, at the line the call text starts on."""
    from navigator.trace.static import callees, resolve_one

    caller, callee, text = hop
    hit = resolve_one(index, caller)
    line = line_of(Path(hit.path), text)
    return any(f"{c.module}.{c.qualname}" == callee and c.call_line == line for c in callees(index, hit, 1).children)

L = "fastai.vision.learner."
CHAINS: dict[str, list[Hop]] = {
    # the user's question: by-name `dls.add_tfms` at the end
    "vision_learner -> _add_norm -> add_tfms": [
        (L + "vision_learner", L + "_add_norm", "if normalize: _add_norm("),
        (L + "_add_norm", "fastai.data.core.DataLoaders.add_tfms", "dls.add_tfms([Normalize.from_stats"),
    ],
    "vision_learner -> _timm_norm -> add_tfms": [
        (L + "vision_learner", L + "_timm_norm", "if normalize: _timm_norm("),
        (L + "_timm_norm", "fastai.data.core.DataLoaders.add_tfms", "dls.add_tfms([tfm]"),
    ],
    # a classmethod called on its class
    "_add_norm -> Normalize.from_stats": [
        (L + "_add_norm", "fastai.data.transforms.Normalize.from_stats", "dls.add_tfms([Normalize.from_stats"),
    ],
    # class instantiation reaches the class and its __init__
    "vision_learner -> create_timm_model -> TimmBody": [
        (L + "vision_learner", L + "create_timm_model", "model,cfg = create_timm_model("),
        (L + "create_timm_model", L + "TimmBody", "body = TimmBody("),
        (L + "create_timm_model", L + "TimmBody.__init__", "body = TimmBody("),
    ],
    # `import timm` then `timm.create_model`: a package __init__ re-exporting a submodule's function
    "create_timm_model -> timm.create_model -> model_entrypoint": [
        (L + "create_timm_model", "timm.models._factory.create_model", "model = timm.create_model("),
        ("timm.models._factory.create_model", "timm.models._registry.model_entrypoint", "create_fn = model_entrypoint("),
    ],
    # `from timm.layers import set_layer_config`: a name re-exported by a package, used as a class
    "create_model -> set_layer_config": [
        ("timm.models._factory.create_model", "timm.layers.config.set_layer_config", "with set_layer_config("),
    ],
    # timm model builders, relative imports (`from ._builder import build_model_with_cfg`)
    "resnet18 -> _create_resnet -> build_model_with_cfg -> resolve_pretrained_cfg": [
        ("timm.models.resnet.resnet18", "timm.models.resnet._create_resnet", "return _create_resnet('resnet18'"),
        ("timm.models.resnet._create_resnet", "timm.models._builder.build_model_with_cfg", "return build_model_with_cfg("),
        ("timm.models._builder.build_model_with_cfg", "timm.models._builder.resolve_pretrained_cfg",
         "pretrained_cfg = resolve_pretrained_cfg("),
    ],
    # a timm model's __init__ calling a helper from `..layers` and its own method through self
    "ResNet.__init__ -> create_classifier, init_weights": [
        ("timm.models.resnet.ResNet.__init__", "timm.layers.classifier.create_classifier",
         "self.global_pool, self.fc = create_classifier("),
        ("timm.models.resnet.ResNet.__init__", "timm.models.resnet.ResNet.init_weights", "self.init_weights("),
    ],
    # @patch methods calling @patch methods defined in other modules
    "fine_tune -> fit_one_cycle -> fit -> _with_events": [
        ("fastai.callback.schedule.Learner.fine_tune", "fastai.learner.Learner.freeze", "self.freeze()"),
        ("fastai.callback.schedule.Learner.fine_tune", "fastai.callback.schedule.Learner.fit_one_cycle",
         "self.fit_one_cycle(freeze_epochs"),
        ("fastai.callback.schedule.Learner.fit_one_cycle", "fastai.learner.Learner.fit", "self.fit(n_epoch, cbs=ParamScheduler"),
        ("fastai.learner.Learner.fit", "fastai.learner.Learner._with_events", "self._with_events(self._do_fit"),
    ],
    # `self(...)` calls the class's __call__
    "Learner._with_events -> Learner.__call__": [
        ("fastai.learner.Learner._with_events", "fastai.learner.Learner.__call__", "try: self(f'before_{event_type}')"),
    ],
    "lr_find -> no_logging": [
        ("fastai.callback.schedule.Learner.lr_find", "fastai.learner.Learner.no_logging", "with self.no_logging(): self.fit("),
    ],
    # a classmethod inherited from a base class, called through cls
    "ImageDataLoaders.from_folder -> from_dblock -> DataBlock.dataloaders": [
        ("fastai.vision.data.ImageDataLoaders.from_folder", "fastai.data.core.DataLoaders.from_dblock",
         "return cls.from_dblock(dblock, path, path=path"),
        ("fastai.data.core.DataLoaders.from_dblock", "fastai.data.block.DataBlock.dataloaders", "return dblock.dataloaders("),
    ],
    "DataBlock.dataloaders -> datasets -> Datasets": [
        ("fastai.data.block.DataBlock.dataloaders", "fastai.data.block.DataBlock.datasets", "dsets = self.datasets("),
        ("fastai.data.block.DataBlock.datasets", "fastai.data.core.Datasets.__init__", "return Datasets(items"),
    ],
    # star-import hop: `Learner` reaches fastai.vision.learner through `from fastai.basics import *`
    "vision_learner -> Learner": [
        (L + "vision_learner", "fastai.learner.Learner", "learn = Learner("),
        (L + "vision_learner", "fastai.learner.Learner.__init__", "learn = Learner("),
    ],
    # `from fastai.vision import models` then `models.unet.DynamicUnet(...)`; star imports in unet.py
    "unet_learner -> create_unet_model -> DynamicUnet -> model_sizes, UnetBlock": [
        (L + "unet_learner", L + "create_unet_model", "model = create_unet_model("),
        (L + "create_unet_model", "fastai.vision.models.unet.DynamicUnet.__init__", "model = models.unet.DynamicUnet("),
        ("fastai.vision.models.unet.DynamicUnet.__init__", "fastai.callback.hook.model_sizes", "sizes = model_sizes("),
        ("fastai.vision.models.unet.DynamicUnet.__init__", "fastai.vision.models.unet.UnetBlock.__init__", "unet_block = UnetBlock("),
    ],
    # super().__init__ into an indexed base class in another module
    "TfmdDL.__init__ -> DataLoader.__init__": [
        ("fastai.data.core.TfmdDL.__init__", "fastai.data.load.DataLoader.__init__", "super().__init__(dataset, bs=bs"),
    ],
    "create_vision_model -> create_body, add_head -> create_head": [
        (L + "create_vision_model", L + "create_body", "body = create_body(model, n_in"),
        (L + "create_vision_model", L + "add_head", "return add_head(body"),
        (L + "add_head", L + "create_head", "head = create_head(nf"),
    ],
    "DataLoaders.add_tfms -> _add_tfms": [
        ("fastai.data.core.DataLoaders.add_tfms", "fastai.data.core.DataLoaders._add_tfms", "self._add_tfms(tfms,event,loader)"),
    ],
    "cnn_learner -> vision_learner": [
        (L + "cnn_learner", L + "vision_learner", "return vision_learner(*args"),
    ],
    # points-to: the model class is passed as an argument and called as `model_cls(**kwargs)`
    "build_model_with_cfg -> ResNet (model_cls parameter)": [
        ("timm.models._builder.build_model_with_cfg", "timm.models.resnet.ResNet.__init__", "model = model_cls(**kwargs)"),
    ],
    # a method passed by reference and called later: `self._with_events(self._do_fit, 'fit', ...)` then `f()`
    "Learner._with_events -> _do_fit (method passed by reference)": [
        ("fastai.learner.Learner._with_events", "fastai.learner.Learner._do_fit", "try: self(f'before_{event_type}');  f()"),
    ],
    # higher-order: a method handed to fastcore's `L.map` is called by it (label `higher-order`)
    "Learner.__call__ -> _call_one (L.map)": [
        ("fastai.learner.Learner.__call__", "fastai.learner.Learner._call_one",
         "def __call__(self, event_name): L(event_name).map(self._call_one)"),
    ],
    # callback events dispatched by name: `getcallable(self, event_name)()` (label `event`)
    "Callback.__call__ -> TrainEvalCallback.before_fit (event)": [
        ("fastai.callback.core.Callback.__call__", "fastai.callback.core.TrainEvalCallback.before_fit",
         "try: res = getcallable(self, event_name)()"),
        ("fastai.callback.core.Callback.__call__", "fastai.callback.core.TrainEvalCallback.after_batch",
         "try: res = getcallable(self, event_name)()"),
    ],
    # `self.x = ...` on a class with `__setattr__` runs it (fastai's Callback.__setattr__ guards learner attributes)
    "Recorder.before_fit -> Callback.__setattr__": [
        ("fastai.learner.Recorder.before_fit", "fastai.callback.core.Callback.__setattr__",
         "self.lrs,self.iters,self.losses,self.values = [],[],[],[]"),
    ],
    # nn.Module.__call__ -> forward: `self.model(...)` reaches the model class's forward (label `forward`)
    "Learner._do_one_batch -> TabularModel.forward (nn.Module call)": [
        ("fastai.learner.Learner._do_one_batch", "fastai.tabular.model.TabularModel.forward", "self.pred = self.model(*self.xb)"),
    ],
    # fastcore is solved on its own, yet its classes are known above (LayerFacts): calling `L` runs
    # its metaclass's `__call__`, and the protocol methods of an `L` are found along its bases
    "Learner.__init__ -> _L_Meta.__call__ (metaclass __call__ of a lower-layer class)": [
        ("fastai.learner.Learner.__init__", "fastcore.foundation._L_Meta.__call__",
         "self.training,self.create_mbar,self.logger,self.opt,self.cbs = False,True,print,None,L()"),
    ],
    "Learner._call_one -> L.__iter__ (for over an L)": [
        ("fastai.learner.Learner._call_one", "fastcore.foundation.L.__iter__", "for cb in self.cbs.sorted('order'): cb(event_name)"),
    ],
    "Categorize.setups -> CollBase.__len__ (len of an L, inherited)": [
        ("fastai.data.transforms.Categorize.setups", "fastcore.foundation.CollBase.__len__", "self.c = len(self.vocab)"),
    ],
    "Recorder._train_mets -> L.__add__ (a + b)": [
        ("fastai.learner.Recorder._train_mets", "fastcore.foundation.L.__add__", "return L(self.smooth_loss) + "),
    ],
    # a builtin that iterates its arguments runs their `__iter__`
    "_BaseOptimizer._set_hyper -> L.__iter__ (zip over an L)": [
        ("fastai.optimizer._BaseOptimizer._set_hyper", "fastcore.foundation.L.__iter__",
         "for v_,h in zip(v, self.hypers): h[k] = v_"),
    ],
    # calling a class runs its `__new__` first (fastai's tensor subclasses)
    "BaseLoss._contiguous -> TensorBase.__new__ (a class with __new__ called)": [
        ("fastai.losses.BaseLoss._contiguous", "fastai.torch_core.TensorBase.__new__",
         "return TensorBase(x.transpose(self.axis,-1).contiguous())"),
    ],
    # torch's dispatch: an op on a fastai tensor subclass runs `TensorBase.__torch_function__` (label
    # `torch-function`); `targ` is the `TensorBase(...)` that `_contiguous` made
    "BaseLoss.__call__ -> TensorBase.__torch_function__ (torch op on a TensorBase)": [
        ("fastai.losses.BaseLoss.__call__", "fastai.torch_core.TensorBase.__torch_function__",
         "if self.floatify and targ.dtype!=torch.float16: targ = targ.float()"),
    ],
    # a lower function that only returns a parameter gives back what was passed: fastcore's
    # `delegates(...)(f)` returns `f`, so `self.dataloaders = delegates(...)(self.dataloaders)` keeps the method
    "TabularDataLoaders.from_df -> FilteredBase.dataloaders (passed back by delegates' _f)": [
        ("fastai.tabular.data.TabularDataLoaders.from_df", "fastai.data.core.FilteredBase.dataloaders",
         "return to.dataloaders(path=path, **kwargs)"),
    ],
    # fastai's `@patch def as_subclass(self:Tensor, typ)`: torch's Tensor is not analysed, its subclasses have it
    "TensorBase.clone -> Tensor.as_subclass (patched onto an outside class)": [
        ("fastai.torch_core.TensorBase.clone", "fastai.torch_core.Tensor.as_subclass",
         "return self.as_subclass(Tensor).clone(memory_format=memory_format).as_subclass(cls)"),
    ],
    # an f-string runs what its braces hold and formats each value (`__format__`, `__str__`, `__repr__`)
    "TfmdLists.__init__ -> Pipeline.__repr__ (f-string formatting)": [
        ("fastai.data.core.TfmdLists.__init__", "fasttransform.transform.Pipeline.__repr__",
         'pv(f"Setting up {self.tfms}", verbose)'),
    ],
    # `@funcs_kwargs`: a keyword named in the class's `_methods` is set on the instance; TfmdDL's
    # `kwargs[nm] = Pipeline(...)` for `nm` in the literal `_batch_tfms` gives the keys
    "DataLoader.__iter__ -> Pipeline.__call__ (funcs_kwargs attribute)": [
        ("fastai.data.load.DataLoader.__iter__", "fasttransform.transform.Pipeline.__call__", "yield self.after_batch(b)"),
    ],
    # `getattr(o, name)` with a name not known may run `o.__getattr__`
    "Pipeline.__init__ -> Pipeline.__getattr__ (getattr with a name not known)": [
        ("fasttransform.transform.Pipeline.__init__", "fasttransform.transform.Pipeline.__getattr__",
         "a = getattr(self,name,None)"),
    ],
    # a class statement in a class body (or a function) runs the nested class's body then
    "CorpusBLEUMetric (class body) -> CorpusBLEUMetric.NGram (nested class statement)": [
        ("fastai.metrics.CorpusBLEUMetric", "fastai.metrics.CorpusBLEUMetric.NGram", "class NGram():"),
    ],
    # a generator expression runs where it is iterated: DataBlock's `L(b() if callable(b) else b for b in blocks)`
    # is iterated by fastcore's `listify` (`list(o)`), which makes the calls (label `library`)
    "listify -> CategoryBlock (a generator expression iterated below)": [
        ("fastcore.basics.listify", "fastai.data.block.CategoryBlock", "if use_list: res = list(o)"),
    ],
    "Learner.remove_cb -> L.__contains__ (x in an L)": [
        ("fastai.learner.Learner.remove_cb", "fastcore.foundation.L.__contains__", "if cb in self.cbs: self.cbs.remove(cb)"),
    ],
    # `@patch @curryable def map(self: L, ...)`: the method an `L` has is curryable's wrapper
    "Learner.add_cbs -> curryable.wrapper (a decorated @patch method)": [
        ("fastai.learner.Learner.add_cbs", "fastcore.foundation.curryable.wrapper", "L(cbs).map(self.add_cb)"),
    ],
    # GetAttr delegation: an attribute the callback lacks runs fastcore's `GetAttr.__getattr__` (label `delegate`)
    "TrainEvalCallback.before_validate -> GetAttr.__getattr__ (delegation)": [
        ("fastai.callback.core.TrainEvalCallback.before_validate", "fastcore.basics.GetAttr.__getattr__", "self.model.eval()"),
    ],
    # a Transform class body writes its names through the metaclass's `__prepare__` mapping (`_TfmDict`);
    # the class makes the call, as a live run sees it
    "Categorize (class body) -> _TfmDict.__setitem__": [
        ("fastai.data.transforms.Categorize", "fasttransform.transform._TfmDict.__setitem__",
         "loss_func,order=CrossEntropyLossFlat(),1"),
    ],
    # a class decorator runs in the class's scope
    "TfmdDL (class body) -> delegates": [
        ("fastai.data.core.TfmdDL", "fastcore.meta.delegates", "@delegates(DataLoader.__init__)"),
    ],
    # fastcore's `store_attr()` in `Learner.__init__` is `self.opt_func = opt_func` (default `Adam`)
    "Learner.create_opt -> Adam, Learner._step -> Optimizer.step (store_attr)": [
        ("fastai.learner.Learner.create_opt", "fastai.optimizer.Adam", "self.opt = self.opt_func(self.splitter(self.model)"),
        ("fastai.learner.Learner._step", "fastai.optimizer.Optimizer.step", "def _step(self): self.opt.step()"),
    ],
    # the callbacks live in fastcore's `L`, followed per `L(...)` site: `add_cb` appends them to `self.cbs`
    "Learner._call_one -> Callback.__call__ (callbacks held in an L)": [
        ("fastai.learner.Learner._call_one", "fastai.callback.core.Callback.__call__", "for cb in self.cbs.sorted('order'): cb(event_name)"),
    ],
    # fastcore's `@patch def zip(self: L)` gives back what the name held before (the builtin), so
    # fastcore.foundation's own `zip(...)` and `map(cycle, args)` are still the builtins
    "zip_cycle -> cycle (a builtin's name @patch-ed in the same module)": [
        ("fastcore.foundation.zip_cycle", "fastcore.foundation.cycle", "return zip(x, *map(cycle,args))"),
    ],
    # `_add_prop(Tabular, 'cat')`: the literal names what `setattr(cls, nm+'s', f)` writes (a property
    # set on the class) and what `getattr(o, nm+'_names')` reads (an `L`, which `list(...)` iterates)
    "TabularLearner.predict -> _add_prop.f/fset -> CollBase.__setitem__ (names built from a literal argument)": [
        ("fastai.tabular.learner.TabularLearner.predict", "fastai.tabular.core._add_prop.f", "dl.dataset.conts = dl.dataset.conts"),
        ("fastai.tabular.learner.TabularLearner.predict", "fastai.tabular.core._add_prop.fset", "dl.dataset.conts = dl.dataset.conts"),
        ("fastai.tabular.core._add_prop.fset", "fastcore.foundation.CollBase.__setitem__", "def fset(o, v): o[getattr(o,nm+'_names')] = v"),
    ],
    # fastcore's `properties(Tabular, 'iloc', ...)` makes the methods properties: `to.iloc[b]`
    "TabDataLoader.create_batch -> Tabular.iloc, _TabIloc.__getitem__ (fastcore properties)": [
        ("fastai.tabular.core.TabDataLoader.create_batch", "fastai.tabular.core.Tabular.iloc", "def create_batch(self, b): return self.dataset.iloc[b]"),
        ("fastai.tabular.core.TabDataLoader.create_batch", "fastai.tabular.core._TabIloc.__getitem__", "def create_batch(self, b): return self.dataset.iloc[b]"),
    ],
    # pandas indexed by an `L` (`self.items[self.y_names]`) reads it as a sequence: `len`, then `iter`
    "Tabular.targ -> CollBase.__len__, L.__iter__ (an outside object indexed by an L)": [
        ("fastai.tabular.core.Tabular.targ", "fastcore.foundation.CollBase.__len__", "def targ(self): return self.items[self.y_names]"),
        ("fastai.tabular.core.Tabular.targ", "fastcore.foundation.L.__iter__", "def targ(self): return self.items[self.y_names]"),
    ],
    # `reversed(tfms)` on an `L` runs its `__reversed__`; `sum(splits, [])` runs the split `L`'s `__radd__`
    "compose_tfms -> L.__reversed__, Tabular.__init__ -> L.__radd__ (reversed, sum)": [
        ("fasttransform.transform.compose_tfms", "fastcore.foundation.L.__reversed__", "if reverse: tfms = reversed(tfms)"),
        ("fastai.tabular.core.Tabular.__init__", "fastcore.foundation.L.__radd__", "if splits is not None: df = df.iloc[sum(splits, [])]"),
    ],
    # fastcore's `_funcs_kwargs` iterates `cls._methods` of the `@funcs_kwargs` class it is given
    # (`Callback._methods = _events`, an `L`; `@funcs_kwargs(as_method=True)` is fastcore's
    # `partial(_funcs_kwargs, as_method=...)`): a lower function's use of a parameter's attribute
    "_funcs_kwargs -> L.__iter__ (iterating an attribute of a parameter)": [
        ("fastcore.meta._funcs_kwargs._init", "fastcore.foundation.L.__iter__", "for k in cls._methods:"),
    ],
    # `dls.n_inp`: fastcore's `GetAttr.__getattr__` reads `train` (`getattr(self, self._default)`), then
    # `n_inp` off the `TfmdDL` it gives (`getattr(attr, k)`): the property is run by the hook
    "GetAttr.__getattr__ -> TfmdDL.n_inp (the delegate read off the default)": [
        ("fastcore.basics.GetAttr.__getattr__", "fastai.data.core.TfmdDL.n_inp", "if attr is not None: return getattr(attr,k)"),
    ],
    # fastcore's `PrePostInitMeta.__call__` (fastai's `Module`'s metaclass) makes `res = cls.__new__(cls)`
    # and calls `res.__pre_init__`: the methods of an instance of the class it is given
    "PrePostInitMeta.__call__ -> Module.__pre_init__ (an instance cls.__new__ makes)": [
        ("fastcore.meta.PrePostInitMeta.__call__", "fastai.torch_core.Module.__pre_init__",
         "if hasattr(res,'__pre_init__'): res.__pre_init__(*args,**kwargs)"),
    ],
    # numpy's `array(x)` reads an object with no `__array__` as a sequence: fastai's `tensor(L(...))`
    "tensor -> L.__iter__ (numpy's array of a sequence)": [
        ("fastai.torch_core.tensor", "fastcore.foundation.L.__iter__", "else _array2tensor(array(x), **kwargs))"),
    ],
}

# Real calls the static resolver does not find (kinds of call it cannot see).
MISSED: dict[str, list[Hop]] = {
    # `arch` holds whatever the user passes to vision_learner; no library code passes timm's resnet18
    "create_vision_model -> arch(...)": [
        (L + "create_vision_model", "timm.models.resnet.resnet18", "model = arch(pretrained=pretrained)"),
    ],
}
