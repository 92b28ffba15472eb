"""The Grafana dashboards: generated JSON is current, well-formed and templated."""

from __future__ import annotations

import re

from tests.observability import gen_dashboards, helpers

EXPECTED = {"overview", "smtp", "imap", "pop3", "storage", "operator", "relay", "web"}


def test_committed_json_is_what_the_generator_writes() -> None:
    rendered = gen_dashboards.render()
    committed = {p.name: p.read_text() for p in helpers.DASHBOARDS.glob("*.json")}
    assert set(committed) == set(rendered), "run python -m tests.observability.gen_dashboards"
    stale = [n for n, text in rendered.items() if committed[n] != text]
    assert not stale, f"stale dashboards {stale}: run python -m tests.observability.gen_dashboards"


def test_every_dashboard_exists_with_unique_uid_and_variables() -> None:
    dashes = helpers.dashboards()
    assert set(dashes) == EXPECTED
    uids = [d["uid"] for d in dashes.values()]
    assert len(set(uids)) == len(uids)
    for name, d in dashes.items():
        variables = {v["name"]: v for v in d["templating"]["list"]}
        assert {"datasource", "namespace", "pod"} <= set(variables), name
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        assert "$namespace" in variables["pod"]["definition"], name


def test_every_panel_query_is_scoped_by_namespace_and_pod() -> None:
    queries = helpers.panel_queries()
    assert len(queries) > 40
    for dash, panel, expr in queries:
        selectors = re.findall(r"[a-z_:][a-z0-9_:]*\{[^}]*\}", expr)
        assert selectors, (dash, panel, expr)
        for sel in selectors:
            assert 'namespace=~"$namespace"' in sel and 'pod=~"$pod"' in sel, (dash, panel, sel)


def test_panels_use_the_templated_datasource_and_fit_the_grid() -> None:
    for name, d in helpers.dashboards().items():
        ids = [p["id"] for p in d["panels"]]
        assert len(set(ids)) == len(ids), name
        for p in helpers.panels(d):
            assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, (name, p["title"])
            g = p["gridPos"]
            assert 0 <= g["x"] and g["x"] + g["w"] <= 24, (name, p["title"])
            for t in p["targets"]:
                assert t["datasource"]["uid"] == "${datasource}"
