"""The timm-normalization refactor of `fastai/vision/learner.py` (fastai 2.7.4 -> 2.7.5).

Forward turns the old design into the new one, one libcst codemod command per change:
`create_body` takes an instantiated model (its callers instantiate `arch` first), `TimmBody`
takes a model, `create_timm_model` creates it and returns `(model, model.default_cfg)`, a new
`_timm_norm` normalizes with that cfg, and `vision_learner` branches on a string arch.
Reverse undoes each change and keeps what later releases added: the `n_in` checks (mirrored
between `_add_norm` and `_timm_norm`) and the torchvision `weights` block (moved into
`create_body` with a `weights` parameter). Code outside the rewritten statements is untouched.

One release detail needs a trace: 2.7.5 instantiated with `arch(pretrained)` while 2.7.8 and
later write `arch(pretrained=pretrained)`, which is also what 2.7.4's `create_body` says. Forward
turns 2.7.4's keyword call into 2.7.5's positional one; reverse therefore marks a keyword call
it moves into `create_body` with KEEP_KEYWORD, and forward keeps such a call as it is.
"""
from __future__ import annotations


import libcst as cst
import libcst.matchers as m
from libcst.helpers import parse_template_statement

from navigator.codemod.registry import Outcome
from navigator.codemod.steps import (
    Mismatch, CodemodStep, docstring_end, find_def, find_statement, parse_arg, parse_param,
    remove_top_level, replace_top_level, require_function, require_method, run_steps, same_code,
    shift_continuations, statements, uses_name, with_statements, without_trailing_comma,
)

KEEP_KEYWORD = "# nav: keyword call of fastai>=2.7.8"
CALLERS = ("create_vision_model", "create_unet_model")


def _assign(target: m.BaseExpression, value: m.BaseExpression) -> m.SimpleStatementLine:
    return m.SimpleStatementLine([m.Assign(targets=[m.AssignTarget(target)], value=value)])


def _call(func: str, first: str | None = None) -> m.Call:
    """A call of `func`, whose first argument is the plain name `first` when given."""
    if first is None:
        return m.Call(func=m.Name(func))
    return m.Call(func=m.Name(func), args=[m.Arg(m.Name(first), keyword=None, star=""), m.ZeroOrMore()])


META = _assign(m.Name("meta"), m.Call(func=m.Attribute(m.Name("model_meta"), m.Name("get"))))
UPDATE_FIRST_LAYER = m.SimpleStatementLine([m.Expr(_call("_update_first_layer", "model"))])
BODY_FROM_ARCH = _assign(m.Name("body"), _call("create_body", "arch"))
BODY_FROM_MODEL = _assign(m.Name("body"), _call("create_body", "model"))
KEYWORD_INSTANTIATION = _assign(m.Name("model"), m.Call(
    func=m.Name("arch"), args=[m.Arg(m.Name("pretrained"), keyword=m.Name("pretrained"))]))
POSITIONAL_INSTANTIATION = _assign(m.Name("model"), m.Call(
    func=m.Name("arch"), args=[m.Arg(m.Name("pretrained"), keyword=None, star="")]))
KWARGS = m.Arg(m.Name("kwargs"), star="**")
TIMM_CREATE = _assign(m.Name("model"), m.Call(
    func=m.Attribute(m.Name("timm"), m.Name("create_model")),
    args=[m.Arg(m.Name("arch")), m.ZeroOrMore(), KWARGS]))
TIMM_BODY_FROM_ARCH = _assign(m.Name("body"), m.Call(
    func=m.Name("TimmBody"), args=[m.Arg(m.Name("arch")), m.ZeroOrMore(), KWARGS]))
TIMM_BODY_FROM_MODEL = _assign(m.Name("body"), m.Call(
    func=m.Name("TimmBody"), args=[m.Arg(m.Name("model")), m.ZeroOrMore(m.Arg(star=""))]))
SUPER_INIT = m.SimpleStatementLine([m.Expr(m.Call(
    func=m.Attribute(m.Call(func=m.Name("super")), m.Name("__init__"))))])
RETURN_ADD_HEAD = m.SimpleStatementLine([m.Return(_call("add_head"))])
RES_ADD_HEAD = _assign(m.Name("res"), _call("add_head"))
RETURN_RES_CFG = m.SimpleStatementLine([m.Return(m.Tuple([
    m.Element(m.Name("res")), m.Element(m.Attribute(m.Name("model"), m.Name("default_cfg")))]))])
IS_STR_ARCH = m.Call(func=m.Name("isinstance"), args=[m.Arg(m.Name("arch")), m.Arg(m.Name("str"))])


def _if_normalize(func: str) -> m.If:
    """`if normalize: func(...)` on one line."""
    return m.If(test=m.Name("normalize"), orelse=None,
                body=m.SimpleStatementSuite([m.Expr(_call(func))]))


def _one_line(target: m.BaseExpression, func: str) -> m.SimpleStatementSuite:
    return m.SimpleStatementSuite([m.Assign(targets=[m.AssignTarget(target)], value=_call(func))])


def _indented(*stmts: m.BaseMatcherNode) -> m.IndentedBlock:
    return m.IndentedBlock(body=list(stmts))


OLD_BRANCH = m.If(test=IS_STR_ARCH, body=_one_line(m.Name("model"), "create_timm_model"),
                  orelse=m.Else(body=_one_line(m.Name("model"), "create_vision_model")))
NEW_BRANCH = m.If(
    test=IS_STR_ARCH,
    body=_indented(
        _assign(m.Tuple([m.Element(m.Name("model")), m.Element(m.Name("cfg"))]), _call("create_timm_model")),
        _if_normalize("_timm_norm")),
    orelse=m.Else(body=_indented(
        _if_normalize("_add_norm"),
        _assign(m.Name("model"), _call("create_vision_model")))))

TIMM_NORM = '''
def _timm_norm(dls, cfg, pretrained):
    if not pretrained: return
    if not dls.after_batch.fs.filter(risinstance(Normalize)):
        tfm = Normalize.from_stats(cfg['mean'],cfg['std'])
        dls.add_tfms([tfm],'after_batch')
'''
TIMM_NORM_N_IN = '''
def _timm_norm(dls, cfg, pretrained, n_in=3):
    if not pretrained: return
    if n_in != len(cfg['mean']): return
    if not dls.after_batch.fs.filter(risinstance(Normalize)):
        tfm = Normalize.from_stats(cfg['mean'],cfg['std'])
        dls.add_tfms([tfm],'after_batch')
'''


def _param_names(fn: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in fn.params.params]


def _body_call(stmt: cst.BaseStatement) -> cst.Call:
    """The call assigned by a `name = call(...)` statement line."""
    assign = cst.ensure_type(cst.ensure_type(stmt, cst.SimpleStatementLine).body[0], cst.Assign)
    return cst.ensure_type(assign.value, cst.Call)


def _replace_call(stmt: cst.BaseStatement, call: cst.Call) -> cst.SimpleStatementLine:
    line = cst.ensure_type(stmt, cst.SimpleStatementLine)
    assign = cst.ensure_type(line.body[0], cst.Assign)
    return line.with_changes(body=[assign.with_changes(value=call)])


# --- create_body takes a model ------------------------------------------------------------

def _caller_call_index(fn: cst.FunctionDef, pattern: m.BaseMatcherNode, call_text: str) -> int:
    index = find_statement(statements(fn), pattern)
    if index is None:
        raise Mismatch(fn.name.value, f"a statement `{call_text}`")
    return index


def _to_new_instantiation(block: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The old `create_body` instantiation as the callers write it after the refactor."""
    if len(block) == 1 and m.matches(block[0], KEYWORD_INSTANTIATION):
        line = cst.ensure_type(block[0], cst.SimpleStatementLine)
        comment = line.trailing_whitespace.comment
        if comment is not None and comment.value == KEEP_KEYWORD:
            return [line.with_changes(trailing_whitespace=cst.TrailingWhitespace())]
        return [cst.parse_statement("model = arch(pretrained)\n")]  # as written in 2.7.5
    return block


def _to_old_instantiation(block: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The callers' instantiation as `create_body` writes it before the refactor."""
    if len(block) == 1 and m.matches(block[0], POSITIONAL_INSTANTIATION):
        return [cst.parse_statement("model = arch(pretrained=pretrained)\n")]  # as in 2.7.4
    if len(block) == 1 and m.matches(block[0], KEYWORD_INSTANTIATION):
        line = cst.ensure_type(block[0], cst.SimpleStatementLine)
        return [line.with_changes(trailing_whitespace=cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(KEEP_KEYWORD)))]
    return block


class CreateBodyTakesModel(CodemodStep):
    """`create_body(arch, ...)` instantiating `arch` -> `create_body(model, ...)`; callers instantiate."""

    DESCRIPTION = "create_body takes an instantiated model"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn = require_function(tree, "create_body")
        names = _param_names(fn)
        if names[:1] == ["model"]:
            for caller in CALLERS:
                _caller_call_index(require_function(tree, caller)[1], BODY_FROM_MODEL,
                                   "body = create_body(model, ...)")
            return None
        if names not in (["arch", "n_in", "pretrained", "cut"], ["arch", "n_in", "pretrained", "cut", "weights"]):
            raise Mismatch("create_body", "parameters (arch, n_in=3, pretrained=True, cut=None)")
        body = statements(fn)
        start, stop = docstring_end(body), find_statement(body, UPDATE_FIRST_LAYER)
        if stop is None or stop == start:
            raise Mismatch("create_body", "statements instantiating `arch` before `_update_first_layer(model, ...)`")
        block = body[start:stop]
        if m.matches(block[0], META) and len(block) > 1:
            block = block[1:]  # the callers compute `meta` themselves
        params = fn.params.params
        new_fn = with_statements(fn, [*body[:start], *body[stop:]]).with_changes(
            params=fn.params.with_changes(params=without_trailing_comma(
                [params[0].with_changes(name=cst.Name("model")), *params[1:4]])))
        tree = replace_top_level(tree, index, new_fn)
        for caller in CALLERS:
            tree = self._instantiate_in(tree, caller, _to_new_instantiation(block))
        return tree

    @staticmethod
    def _instantiate_in(tree: cst.Module, name: str, block: list[cst.BaseStatement]) -> cst.Module:
        index, fn = require_function(tree, name)
        body = statements(fn)
        at = _caller_call_index(fn, BODY_FROM_ARCH, "body = create_body(arch, ...)")
        if uses_name(block, "meta") and find_statement(body[:at], META) is None:
            raise Mismatch(name, "`meta = model_meta.get(arch, ...)` before `create_body`")
        call = _body_call(body[at])
        args = [a for a in call.args if not (a.keyword and a.keyword.value == "weights")]
        args[0] = args[0].with_changes(value=cst.Name("model"))
        new_call = _replace_call(body[at], call.with_changes(args=without_trailing_comma(args)))
        moved = [block[0].with_changes(leading_lines=body[at].leading_lines), *block[1:]]
        new_call = new_call.with_changes(leading_lines=[])
        return replace_top_level(tree, index, with_statements(fn, [*body[:at], *moved, new_call, *body[at + 1:]]))


class CreateBodyTakesArch(CodemodStep):
    """Reverse of CreateBodyTakesModel: the callers' instantiation moves back into `create_body`."""

    DESCRIPTION = "create_body takes an arch"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn = require_function(tree, "create_body")
        names = _param_names(fn)
        if names[:1] == ["arch"]:
            return None
        if names != ["model", "n_in", "pretrained", "cut"]:
            raise Mismatch("create_body", "parameters (model, n_in=3, pretrained=True, cut=None)")
        blocks = [self._instantiation(require_function(tree, caller)[1]) for caller in CALLERS]
        if not same_code(blocks[0], blocks[1]):
            raise Mismatch(CALLERS[1], f"the same instantiation of `arch` as {CALLERS[0]}")
        block = _to_old_instantiation(blocks[0])
        if uses_name(block, "meta"):
            block = [cst.parse_statement("meta = model_meta.get(arch, _default_meta)\n"), *block]
        with_weights = uses_name(block, "weights")
        params = [fn.params.params[0].with_changes(name=cst.Name("arch")), *fn.params.params[1:]]
        if with_weights:
            params.append(parse_param("weights=None"))
        body = statements(fn)
        start = docstring_end(body)
        new_fn = with_statements(fn, [*body[:start], *block, *body[start:]]).with_changes(
            params=fn.params.with_changes(params=params))
        tree = replace_top_level(tree, index, new_fn)
        for caller in CALLERS:
            tree = self._call_with_arch(tree, caller, len(blocks[0]), with_weights)
        return tree

    @staticmethod
    def _instantiation(fn: cst.FunctionDef) -> list[cst.BaseStatement]:
        """The statements between `meta = ...` and `body = create_body(model, ...)`."""
        body = statements(fn)
        at = _caller_call_index(fn, BODY_FROM_MODEL, "body = create_body(model, ...)")
        meta = find_statement(body[:at], META)
        if meta is None or meta + 1 == at:
            raise Mismatch(fn.name.value, "`meta = model_meta.get(arch, ...)`, then statements "
                                          "instantiating `arch`, then `body = create_body(model, ...)`")
        return body[meta + 1:at]

    @staticmethod
    def _call_with_arch(tree: cst.Module, name: str, block_size: int, with_weights: bool) -> cst.Module:
        index, fn = require_function(tree, name)
        body = statements(fn)
        at = find_statement(body, BODY_FROM_MODEL)
        assert at is not None  # checked by _instantiation
        call = _body_call(body[at])
        args = [call.args[0].with_changes(value=cst.Name("arch")), *call.args[1:]]
        if with_weights:
            args.append(parse_arg("weights=weights"))
        first = at - block_size
        new_call = _replace_call(body[at], call.with_changes(args=args)).with_changes(
            leading_lines=body[first].leading_lines)
        return replace_top_level(tree, index, with_statements(fn, [*body[:first], new_call, *body[at + 1:]]))


# --- TimmBody takes a model; create_timm_model creates it ---------------------------------

def _timm_body(tree: cst.Module) -> tuple[int, cst.ClassDef, int, cst.FunctionDef]:
    found = find_def(tree, "TimmBody")
    if found is None or not isinstance(found[1], cst.ClassDef):
        raise Mismatch("TimmBody", "a top-level class of that name")
    init_index, init = require_method(found[1], "__init__")
    return found[0], found[1], init_index, init


def _with_method(cls: cst.ClassDef, index: int, method: cst.FunctionDef) -> cst.ClassDef:
    body = statements(cls)
    body[index] = method
    return with_statements(cls, body)


def _kwargs_name(fn: cst.FunctionDef) -> str | None:
    star = fn.params.star_kwarg
    return star.name.value if isinstance(star, cst.Param) else None


class TimmBodyTakesModel(CodemodStep):
    """`TimmBody(arch, ..., **kwargs)` creating the timm model -> `TimmBody(model, ...)`."""

    DESCRIPTION = "TimmBody takes a model, create_timm_model creates it"
    OLD_INIT = "`def __init__(self, arch:str, pretrained:bool=True, cut=None, n_in:int=3, **kwargs)` " \
               "calling `model = timm.create_model(arch, ..., **kwargs)`"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        cls_index, cls, init_index, init = _timm_body(tree)
        names, body = _param_names(init), statements(init)
        create = find_statement(body, TIMM_CREATE)
        if names == ["self", "model", "pretrained", "cut", "n_in"] and create is None:
            return None
        if names != ["self", "arch", "pretrained", "cut", "n_in"] or _kwargs_name(init) != "kwargs" or create is None:
            raise Mismatch("TimmBody.__init__", self.OLD_INIT)
        fn_index, fn = require_function(tree, "create_timm_model")
        fn_body = statements(fn)
        at = find_statement(fn_body, TIMM_BODY_FROM_ARCH)
        if at is None:
            raise Mismatch("create_timm_model", "a statement `body = TimmBody(arch, ..., **kwargs)`")
        params = list(init.params.params)
        params[1] = params[1].with_changes(name=cst.Name("model"), annotation=None)
        new_init = with_statements(init, body[:create] + body[create + 1:]).with_changes(
            params=init.params.with_changes(params=without_trailing_comma(params),
                                            star_kwarg=None))
        tree = replace_top_level(tree, cls_index, _with_method(cls, init_index, new_init))
        call = _body_call(fn_body[at])
        args = [a for a in call.args if a.star != "**"]
        args[0] = args[0].with_changes(value=cst.Name("model"))
        moved = body[create].with_changes(leading_lines=fn_body[at].leading_lines)
        new_call = _replace_call(fn_body[at], call.with_changes(args=without_trailing_comma(args)))
        fn_params = [fn.params.params[0].with_changes(annotation=None), *fn.params.params[1:]]
        new_fn = with_statements(fn, [*fn_body[:at], moved, new_call.with_changes(leading_lines=[]),
                                      *fn_body[at + 1:]])
        return replace_top_level(tree, fn_index, new_fn.with_changes(
            params=fn.params.with_changes(params=fn_params)))


class TimmBodyCreatesModel(CodemodStep):
    """Reverse of TimmBodyTakesModel: `timm.create_model` moves back into `TimmBody.__init__`."""

    DESCRIPTION = "TimmBody creates the timm model"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        cls_index, cls, init_index, init = _timm_body(tree)
        names, body = _param_names(init), statements(init)
        if names[:2] == ["self", "arch"] and find_statement(body, TIMM_CREATE) is not None:
            return None
        if names != ["self", "model", "pretrained", "cut", "n_in"] or _kwargs_name(init) is not None:
            raise Mismatch("TimmBody.__init__", "`def __init__(self, model, pretrained:bool=True, cut=None, n_in:int=3)`")
        sup = find_statement(body, SUPER_INIT)
        if sup is None:
            raise Mismatch("TimmBody.__init__", "a `super().__init__()` call")
        fn_index, fn = require_function(tree, "create_timm_model")
        fn_body = statements(fn)
        create = find_statement(fn_body, TIMM_CREATE)
        if create is None or not m.matches(fn_body[create + 1], TIMM_BODY_FROM_MODEL):
            raise Mismatch("create_timm_model", "`model = timm.create_model(arch, ..., **kwargs)` "
                                                "then `body = TimmBody(model, ...)`")
        params = list(init.params.params)
        params[1] = parse_param("arch:str").with_changes(comma=params[1].comma)
        new_init = with_statements(init, [*body[:sup + 1], fn_body[create].with_changes(leading_lines=[]),
                                          *body[sup + 1:]]).with_changes(
            params=init.params.with_changes(params=params, star_kwarg=parse_param("**kwargs")))
        tree = replace_top_level(tree, cls_index, _with_method(cls, init_index, new_init))
        call = _body_call(fn_body[create + 1])
        args = [call.args[0].with_changes(value=cst.Name("arch")), *call.args[1:], parse_arg("**kwargs")]
        new_call = _replace_call(fn_body[create + 1], call.with_changes(args=args)).with_changes(
            leading_lines=fn_body[create].leading_lines)
        fn_params = list(fn.params.params)
        fn_params[0] = parse_param("arch:str").with_changes(comma=fn_params[0].comma)
        new_fn = with_statements(fn, [*fn_body[:create], new_call, *fn_body[create + 2:]])
        return replace_top_level(tree, fn_index, new_fn.with_changes(
            params=fn.params.with_changes(params=fn_params)))


# --- create_timm_model returns (model, cfg) -----------------------------------------------

class CreateTimmModelReturnsCfg(CodemodStep):
    """`return add_head(...)` -> `res = add_head(...)` + `return res,model.default_cfg`."""

    DESCRIPTION = "create_timm_model returns (model, cfg)"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn = require_function(tree, "create_timm_model")
        body = statements(fn)
        if m.matches(body[-1], RETURN_RES_CFG):
            return None
        if not m.matches(body[-1], RETURN_ADD_HEAD):
            raise Mismatch("create_timm_model", "to end with `return add_head(...)`")
        ret = cst.ensure_type(body[-1], cst.SimpleStatementLine)
        call = cst.ensure_type(cst.ensure_type(ret.body[0], cst.Return).value, cst.Call)
        res = parse_template_statement("res = {call}\n", call=shift_continuations(call, -1))
        res = res.with_changes(leading_lines=ret.leading_lines, trailing_whitespace=ret.trailing_whitespace)
        new_body = [*body[:-1], res, cst.parse_statement("return res,model.default_cfg\n")]
        return replace_top_level(tree, index, with_statements(fn, new_body))


class CreateTimmModelReturnsModel(CodemodStep):
    """Reverse of CreateTimmModelReturnsCfg."""

    DESCRIPTION = "create_timm_model returns the model"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn = require_function(tree, "create_timm_model")
        body = statements(fn)
        if m.matches(body[-1], RETURN_ADD_HEAD):
            return None
        if len(body) < 2 or not (m.matches(body[-2], RES_ADD_HEAD) and m.matches(body[-1], RETURN_RES_CFG)):
            raise Mismatch("create_timm_model", "to end with `res = add_head(...)` and `return res,model.default_cfg`")
        res = cst.ensure_type(body[-2], cst.SimpleStatementLine)
        ret = parse_template_statement("return {call}\n", call=shift_continuations(_body_call(res), 1))
        ret = ret.with_changes(leading_lines=res.leading_lines, trailing_whitespace=res.trailing_whitespace)
        return replace_top_level(tree, index, with_statements(fn, [*body[:-2], ret]))


# --- _timm_norm -----------------------------------------------------------------------------

def _timm_norm_for(tree: cst.Module) -> cst.FunctionDef:
    """The `_timm_norm` matching this module's `_add_norm` (with the `n_in` check if it has one)."""
    _, add_norm = require_function(tree, "_add_norm")
    text = TIMM_NORM_N_IN if "n_in" in _param_names(add_norm) else TIMM_NORM
    return cst.ensure_type(cst.parse_statement(text.lstrip()), cst.FunctionDef)


class AddTimmNorm(CodemodStep):
    """Insert `_timm_norm(dls, cfg, pretrained)` after `_add_norm`."""

    DESCRIPTION = "_timm_norm added"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        if find_def(tree, "_timm_norm") is not None:
            return None
        index, add_norm = require_function(tree, "_add_norm")
        marker = [line for line in add_norm.leading_lines if line.comment and line.comment.value == "# Cell"]
        new_fn = _timm_norm_for(tree).with_changes(leading_lines=[cst.EmptyLine(), *marker[:1]])
        return tree.with_changes(body=[*tree.body[:index + 1], new_fn, *tree.body[index + 1:]])


class RemoveTimmNorm(CodemodStep):
    """Reverse of AddTimmNorm; refuses a hand-edited `_timm_norm`, which would be lost."""

    DESCRIPTION = "_timm_norm removed"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        found = find_def(tree, "_timm_norm")
        if found is None:
            return None
        index, fn = found
        if not isinstance(fn, cst.FunctionDef) or not same_code([fn], [_timm_norm_for(tree)]):
            raise Mismatch("_timm_norm", "the body fastai ships, mirroring `_add_norm` "
                                         "(forward re-creates it, so edits would be lost)")
        return remove_top_level(tree, index)


# --- vision_learner branches on a string arch -----------------------------------------------

def _guarded_call(stmt: cst.BaseStatement) -> cst.Call:
    """The call in a one-line `if normalize: call(...)`."""
    suite = cst.ensure_type(cst.ensure_type(stmt, cst.If).body, cst.SimpleStatementSuite)
    return cst.ensure_type(cst.ensure_type(suite.body[0], cst.Expr).value, cst.Call)


def _timm_norm_call(add_norm: cst.Call) -> cst.Call:
    """`_timm_norm(...)` mirroring `_add_norm(dls, meta, ...)`: the same arguments, `cfg` for `meta`."""
    return add_norm.with_changes(func=cst.Name("_timm_norm"), args=[
        arg.with_changes(value=cst.Name("cfg")) if i == 1 else arg for i, arg in enumerate(add_norm.args)])


class VisionLearnerBranches(CodemodStep):
    """`_add_norm` for every arch -> timm archs get `_timm_norm` with the model's own cfg."""

    DESCRIPTION = "vision_learner branches on a string arch"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn = require_function(tree, "vision_learner")
        body = statements(fn)
        at = find_statement(body, OLD_BRANCH)
        if at is None and find_statement(body, NEW_BRANCH) is not None:
            return None
        if at is None or at == 0 or not m.matches(body[at - 1], _if_normalize("_add_norm")):
            raise Mismatch("vision_learner", "`if normalize: _add_norm(...)` then `if isinstance(arch, str): "
                                             "model = create_timm_model(...)` / `else: model = create_vision_model(...)`")
        add_norm = _guarded_call(body[at - 1])
        branch = cst.ensure_type(body[at], cst.If)
        timm_call = cst.ensure_type(branch.body, cst.SimpleStatementSuite).body[0].value
        vision_call = cst.ensure_type(branch.orelse, cst.Else).body.body[0].value
        new_branch = parse_template_statement(
            "if isinstance(arch, str):\n    model,cfg = {timm_call}\n    if normalize: {timm_norm}\n"
            "else:\n    if normalize: {add_norm}\n    model = {vision_call}\n",
            timm_call=timm_call, timm_norm=_timm_norm_call(add_norm), add_norm=add_norm, vision_call=vision_call,
        ).with_changes(leading_lines=body[at - 1].leading_lines)
        return replace_top_level(tree, index, with_statements(fn, [*body[:at - 1], new_branch, *body[at + 1:]]))


class VisionLearnerNormalizesFirst(CodemodStep):
    """Reverse of VisionLearnerBranches: `_add_norm` before the branch, whatever the arch."""

    DESCRIPTION = "vision_learner normalizes before branching"

    def rewrite(self, tree: cst.Module) -> cst.Module | None:
        index, fn = require_function(tree, "vision_learner")
        body = statements(fn)
        at = find_statement(body, NEW_BRANCH)
        if at is None and find_statement(body, OLD_BRANCH) is not None:
            return None
        if at is None:
            raise Mismatch("vision_learner", "`if isinstance(arch, str):` with `model,cfg = create_timm_model(...)`, "
                                             "`if normalize: _timm_norm(...)`, and `else:` with "
                                             "`if normalize: _add_norm(...)`, `model = create_vision_model(...)`")
        branch = cst.ensure_type(body[at], cst.If)
        timm_stmts = cst.ensure_type(branch.body, cst.IndentedBlock).body
        vision_stmts = cst.ensure_type(cst.ensure_type(branch.orelse, cst.Else).body, cst.IndentedBlock).body
        add_norm = _guarded_call(vision_stmts[0])
        if not same_code([cst.Expr(_guarded_call(timm_stmts[1]))], [cst.Expr(_timm_norm_call(add_norm))]):
            raise Mismatch("vision_learner", "`_timm_norm(...)` called with the arguments of `_add_norm(...)`, "
                                             "`cfg` instead of `meta`")
        norm_if = parse_template_statement("if normalize: {add_norm}\n", add_norm=add_norm)
        old_branch = parse_template_statement(
            "if isinstance(arch, str): model = {timm_call}\nelse: model = {vision_call}\n",
            timm_call=_body_call(timm_stmts[0]), vision_call=_body_call(vision_stmts[1]))
        new_stmts = [norm_if.with_changes(leading_lines=branch.leading_lines), old_branch]
        return replace_top_level(tree, index, with_statements(fn, [*body[:at], *new_stmts, *body[at + 1:]]))


FORWARD: tuple[type[CodemodStep], ...] = (
    CreateBodyTakesModel, TimmBodyTakesModel, CreateTimmModelReturnsCfg, AddTimmNorm, VisionLearnerBranches)
REVERSE: tuple[type[CodemodStep], ...] = (
    VisionLearnerNormalizesFirst, RemoveTimmNorm, CreateTimmModelReturnsModel, TimmBodyCreatesModel,
    CreateBodyTakesArch)


def transform(source: str, revert: bool = False) -> Outcome:
    """`fastai/vision/learner.py` source after the refactor (or before it, with `revert`), as an outcome."""
    return run_steps(source, REVERSE if revert else FORWARD)
