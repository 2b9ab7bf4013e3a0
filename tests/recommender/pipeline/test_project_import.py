"""A project file imports whole or not at all, and a file imported again makes nothing twice."""

import pytest

from recommender.exceptions import InvalidArgument
from recommender.pipeline import queries as Q
from recommender.pipeline.project_files import import_projects, read_rows

HEADER = "项目编号,企业编号,薄弱环节,阶段,计划投资额（万元）\n"


def _file(tmp_path, lines: str, name: str = "projects.csv"):
    path = tmp_path / name
    path.write_text(HEADER + lines, encoding="utf-8")
    return path


def _import(store, chain, path):
    rows, problems = read_rows(path)
    return import_projects(store, rows, by="li", node_ids=chain.node_ids, problems=problems)


def test_every_bad_row_is_named_and_nothing_is_created(firm_store, chain, tmp_path):
    path = _file(tmp_path, ",ref-hamamatsu,photodetectors,线索,100\n"   # row 2: good
                           ",ref-nobody,photodetectors,线索,\n"          # row 3: no such firm
                           ",ref-excelitas,no-such-link,半路,\n"         # row 4: link, stage
                           ",ref-horiba,photodetectors,投产,-5\n"         # row 5: start, amount
                           ",ref-hamamatsu,photodetectors,接洽,\n"        # row 6: row 2 again
                           "99999,,,,\n")                                 # row 7: no project
    with pytest.raises(InvalidArgument) as caught:
        _import(firm_store, chain, path)
    found = [(p["row"], p["column"], p["problem"]) for p in caught.value.problems]
    assert found == [(3, "firm_id", "unknown_firm"), (4, "stage", "unreadable"),
                     (4, "node_id", "unknown_link"),
                     (5, "planned_investment_wan", "negative"), (5, "stage", "not_a_start"),
                     (6, "node_id", "twice"), (7, "id", "no_project")]
    message = str(caught.value)
    assert message.startswith("nothing imported: 5 row(s) cannot be imported (3, 4, 5, 6, 7)")
    assert "row 6, column node_id: the same firm and link as row 2" in message
    assert Q.list_projects(firm_store) == []  # not even the good row 2


def test_an_unknown_column_is_named_with_the_bad_cells(firm_store, chain, tmp_path):
    path = tmp_path / "projects.csv"
    path.write_text("企业编号,薄弱环节,阶段,预算\nref-hamamatsu,photodetectors,半路,1\n",
                    encoding="utf-8")
    with pytest.raises(InvalidArgument) as caught:
        _import(firm_store, chain, path)
    assert [(p["row"], p["column"], p["problem"]) for p in caught.value.problems] == [
        (1, "预算", "unknown_column"), (2, "stage", "unreadable")]
    assert Q.list_projects(firm_store) == []


def test_a_file_imported_again_skips_the_rows_that_exist(firm_store, chain, tmp_path):
    path = _file(tmp_path, ",ref-hamamatsu,photodetectors,线索,100\n"
                           ",ref-excelitas,photodetectors,考察,\n")
    assert _import(firm_store, chain, path) == {"created": 2, "updated": 0, "skipped": 0,
                                                "existing": []}
    made = {p["firm_id"]: p["id"] for p in Q.list_projects(firm_store)}
    more = _file(tmp_path, ",ref-hamamatsu,photodetectors,线索,100\n"
                           ",ref-excelitas,photodetectors,考察,\n"
                           ",ref-horiba,photodetectors,,\n", name="more.csv")
    assert _import(firm_store, chain, more) == {
        "created": 1, "updated": 0, "skipped": 2,
        "existing": [{"row": 2, "id": made["ref-hamamatsu"]},
                     {"row": 3, "id": made["ref-excelitas"]}]}
    assert len(Q.list_projects(firm_store)) == 3


def test_a_row_refused_while_writing_undoes_the_rows_before_it(firm_store, chain, tmp_path,
                                                               monkeypatch):
    """A row that passed the check but is refused when written (another writer made the same
    project meanwhile) takes the rows written before it back with it."""
    from recommender.pipeline import project_files
    from recommender.pipeline import projects as P

    calls = []

    def create(store, fields, **kwargs):
        calls.append(fields["firm_id"])
        if len(calls) == 2:
            raise InvalidArgument("firm 'ref-excelitas' already has open project 7")
        return P.create_project(store, fields, **kwargs)

    monkeypatch.setattr(project_files, "create_project", create)
    path = _file(tmp_path, ",ref-hamamatsu,photodetectors,线索,\n"
                           ",ref-excelitas,photodetectors,线索,\n")
    with pytest.raises(InvalidArgument, match="row 3: firm 'ref-excelitas' already has"):
        _import(firm_store, chain, path)
    assert calls == ["ref-hamamatsu", "ref-excelitas"]
    assert Q.list_projects(firm_store) == [] and firm_store.outcomes().empty
