"""The mc report's HTML page: one self-contained file beside its PNG plots."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from agentbench.analysis.mc_report import MCReport

_TEMPLATE = """<!doctype html>
<html><head><meta charset="utf-8"><title>agentbench mc report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
.note{color:#8a5a00} img{max-width:100%;border:1px solid #eee;margin:.5em 0}
</style></head><body>
<h1>Multiple-choice report</h1>
<p>Run <code>{{ rep.run_dir }}</code>{% if rep.task %}, task <code>{{ rep.task }}</code>{% endif %}.
Intervals: bootstrap over questions and unrolls (METHODS.md §4).
Incoherence = Σ variance / Σ error.</p>
{% for n in rep.notes %}<p class="note">note: {{ n }}</p>{% endfor %}
<h2>Systems</h2>
<table><tr><th>system</th><th>model</th><th>budget</th><th>questions</th><th>unrolls</th>
<th>unparsed</th><th>missing</th><th>accuracy</th><th>mean length</th></tr>
{% for s in rep.systems %}<tr><td>{{ s.name }}</td><td>{{ s.model }}</td><td>{{ s.budget_label or "" }}</td>
<td>{{ s.n_questions }}</td><td>{{ s.n_unrolls }}</td><td>{{ s.n_unparsed }}</td><td>{{ s.n_missing }}</td>
<td>{{ num(s.accuracy) }}</td><td>{{ num(s.mean_length, 1) }}</td></tr>{% endfor %}
</table>
{% for loss in rep.rows %}
<h2>{{ loss|upper }} decomposition</h2>
<table><tr><th>system</th><th>group</th><th>half</th><th>questions</th><th>mean length</th>
<th>bias²</th><th>variance</th><th>error</th><th>incoherence</th><th>accuracy</th></tr>
{% for r in rep.rows[loss] %}<tr><td>{{ r.system }}</td><td>{{ r.group }}</td><td>{{ r.half }}</td>
<td>{{ r.n_questions }}</td><td>{{ num(r.mean_length, 1) }}</td><td>{{ ci(r, "bias2") }}</td>
<td>{{ ci(r, "variance") }}</td><td>{{ ci(r, "error") }}</td><td>{{ ci(r, "incoherence") }}</td>
<td>{{ ci(r, "accuracy") }}</td></tr>{% endfor %}
</table>{% endfor %}
{% if plots.length %}<h2>Incoherence against reasoning length</h2>
<p>{{ rep.groups }} equal-size question groups by mean length{% if rep.reference_system %},
grouping taken from <code>{{ rep.reference_system }}</code> and reused for every system{% endif %}.</p>
<img src="{{ plots.length }}" alt="incoherence vs length">{% endif %}
{% if plots.overthinking %}<h2>Natural overthinking (per-question median split)</h2>
<img src="{{ plots.overthinking }}" alt="median split">{% endif %}
{% if plots.budgets %}<h2>Reasoning budgets</h2><img src="{{ plots.budgets }}" alt="budgets">{% endif %}
{% if rep.zero_one %}<h2>0/1 view (Domingos)</h2>
<table><tr><th>system</th><th>mean bias</th><th>mean variance</th></tr>
{% for z in rep.zero_one %}<tr><td>{{ z.system }}</td><td>{{ num(z.bias) }}</td><td>{{ num(z.variance) }}</td></tr>{% endfor %}
</table>{% endif %}
{% if rep.ensemble %}<h2>Ensembling</h2>
<p>Ensembles of E unrolls average their probability vectors; variance should fall as 1/E with bias unchanged.</p>
{% if plots.ensemble %}<img src="{{ plots.ensemble }}" alt="ensembling">{% endif %}
<table><tr><th>system</th><th>loss</th><th>E</th><th>ensembles</th><th>bias²</th><th>variance</th><th>error</th></tr>
{% for p in rep.ensemble %}<tr><td>{{ p.system }}</td><td>{{ p.loss }}</td><td>{{ p.size }}</td><td>{{ p.n_ensembles }}</td>
<td>{{ num(p.bias2, 4) }}</td><td>{{ num(p.variance, 4) }}</td><td>{{ num(p.error, 4) }}</td></tr>{% endfor %}
</table>{% endif %}
{% if rep.open %}<h2>Open-ended answers (embedding variance)</h2>
<table><tr><th>system</th><th>questions</th><th>unrolls</th><th>variance</th></tr>
{% for o in rep.open %}<tr><td>{{ o.system }}</td><td>{{ o.n_questions }}</td><td>{{ o.n_unrolls }}</td>
<td>{{ num(o.variance, 4) }} [{{ num(o.variance_low, 4) }}, {{ num(o.variance_high, 4) }}]</td></tr>{% endfor %}
</table>{% if plots.open %}<img src="{{ plots.open }}" alt="open-ended variance">{% endif %}{% endif %}
</body></html>
"""


def _num(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.{digits}f}"


def render_html(rep: MCReport, plots: dict[str, str]) -> str:
    """The page as a string (values escaped by jinja2's autoescape)."""
    from agentbench.analysis.mc_report import fmt_ci

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals.update(num=_num, ci=fmt_ci, escape=html.escape)
    return env.from_string(_TEMPLATE).render(rep=rep, plots=_Plots(plots))


class _Plots(dict[str, str]):
    """Attribute access for the template; a view without a plot is an empty string."""

    def __getattr__(self, name: str) -> str:
        return self.get(name, "")
