"""data/README.md documents exactly the contract in csm_kit.contract."""
from pathlib import Path

from csm_kit.contract import TABLES
from csm_kit.io.contract_doc import BEGIN, END, contract_markdown

README = Path(__file__).resolve().parents[1] / "data" / "README.md"


def test_readme_holds_the_generated_contract_verbatim():
    text = README.read_text(encoding="utf-8")
    generated = text[text.index(BEGIN): text.index(END) + len(END)]
    assert generated == contract_markdown(), "regenerate data/README.md from csm_kit.io.contract_doc"


def test_every_table_and_column_is_documented():
    doc = contract_markdown()
    for table in TABLES.values():
        assert f"### `{table.name}`" in doc
        for column in table.columns:
            assert f"| `{column.name}` |" in doc
