"""Product and script files: the formats users write, and errors that point at the problem."""

from __future__ import annotations

import pytest

from autocut_core.errors import InputError
from autocut_core.inputs import load_product, load_script, parse_script_text, split_sentences
from autocut_core.types import Product


def test_product_from_toml(tmp_path):
    path = tmp_path / "product.toml"
    path.write_text(
        'name = "Trail Runner 2"\nbrand = "Acme"\ncategory = "shoes"\n'
        'selling_points = ["light", "waterproof"]\n',
        encoding="utf-8",
    )
    assert load_product(path) == Product(
        name="Trail Runner 2",
        brand="Acme",
        category="shoes",
        selling_points=("light", "waterproof"),
    )


def test_product_from_json_under_a_product_table(tmp_path):
    path = tmp_path / "product.json"
    path.write_text(
        '{"product": {"name": "保温杯", "selling_points": "12 小时保温"}}', encoding="utf-8"
    )
    product = load_product(path)
    assert product.name == "保温杯"
    assert product.selling_points == ("12 小时保温",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('brand = "Acme"\n', "field 'name': required field is missing"),
        (
            'name = "X"\nselling_points = [1, 2]\n',
            "field 'selling_points.0': input should be a valid string, got 1",
        ),
        ('name = "X"\nsellingpoints = ["a"]\n', "field 'sellingpoints': unknown field"),
        ('name = "   "\n', "field 'name': expected a non-empty product name"),
        ('name = "X\n', "not valid TOML"),
    ],
)
def test_product_errors_name_file_and_field(tmp_path, text, expected):
    path = tmp_path / "product.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_product(path)
    assert str(info.value).startswith(str(path))
    assert expected in str(info.value)


def test_product_file_problems(tmp_path):
    with pytest.raises(InputError, match="product file not found"):
        load_product(tmp_path / "missing.toml")
    (tmp_path / "p.yaml").write_text("name: x", encoding="utf-8")
    with pytest.raises(InputError, match=r"must end in \.toml or \.json"):
        load_product(tmp_path / "p.yaml")
    (tmp_path / "p.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="expected a table of product fields, got list"):
        load_product(tmp_path / "p.json")
    (tmp_path / "latin1.toml").write_bytes('name = "Café"'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_product(tmp_path / "latin1.toml")


def test_script_one_sentence_per_line(tmp_path):
    path = tmp_path / "script.txt"
    path.write_text(
        "\ufeffLight as air.\r\n\r\n  Rain? No problem.  \nRun further\n", encoding="utf-8"
    )
    assert load_script(path).sentences == ("Light as air.", "Rain? No problem.", "Run further")


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "Meet the Trail Runner. It weighs 3.5 oz! Ready? Visit example.com today.",
            ["Meet the Trail Runner.", "It weighs 3.5 oz!", "Ready?", "Visit example.com today."],
        ),
        (
            "轻薄透气。一整天都舒适！还在等什么？马上下单",
            ["轻薄透气。", "一整天都舒适！", "还在等什么？", "马上下单"],
        ),
        ('He said "Go." Then we ran.', ['He said "Go."', "Then we ran."]),
        (
            "Shoes, e.g. this one, last. Dr. Lee agrees.",
            ["Shoes, e.g. this one, last.", "Dr. Lee agrees."],
        ),
        ("Wait... what?! Yes.", ["Wait...", "what?!", "Yes."]),
        ("新品上市。Now in stock!", ["新品上市。", "Now in stock!"]),
    ],
)
def test_paragraph_is_split_at_sentence_ends(paragraph, expected):
    assert split_sentences(paragraph) == expected
    assert parse_script_text(paragraph) == expected


def test_empty_script_is_an_error(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text(" \n\t\n", encoding="utf-8")
    with pytest.raises(InputError, match="the script has no sentences"):
        load_script(path)


def test_script_of_only_punctuation_is_an_error(tmp_path):
    path = tmp_path / "dots.txt"
    path.write_text("...\n!!!\n— – ;\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"dots\.txt: the script has no words"):
        load_script(path)


def test_utf16_text_files(tmp_path):
    """Notepad's "Unicode" (UTF-16 with a BOM) is read; UTF-16 without a BOM is valid UTF-8
    byte for byte (NULs between the letters), so it is named instead of read as garbage."""
    lines = "Fresh juice.\n鲜榨果汁。\n"
    (tmp_path / "le.txt").write_bytes(lines.encode("utf-16"))  # BOM + little-endian
    (tmp_path / "be.txt").write_bytes(b"\xfe\xff" + lines.encode("utf-16-be"))
    for name in ("le.txt", "be.txt"):
        assert load_script(tmp_path / name).sentences == ("Fresh juice.", "鲜榨果汁。")
    (tmp_path / "p.toml").write_bytes('name = "Juice"\n'.encode("utf-16"))
    assert load_product(tmp_path / "p.toml").name == "Juice"
    (tmp_path / "nobom.txt").write_bytes(lines.encode("utf-16-le"))
    with pytest.raises(InputError, match=r"nobom\.txt: script file looks like UTF-16 text"):
        load_script(tmp_path / "nobom.txt")


def test_script_that_is_a_directory_is_an_error(tmp_path):
    with pytest.raises(InputError, match="expected a script file, found a directory"):
        load_script(tmp_path)


def test_script_language_is_detected(tmp_path):
    chinese, english = tmp_path / "zh.txt", tmp_path / "en.txt"
    chinese.write_text("轻薄透气。一整天都舒适！", encoding="utf-8")
    english.write_text("Light as air. Dry all day.", encoding="utf-8")
    assert load_script(chinese).language == "zh"
    assert load_script(english).language is None
