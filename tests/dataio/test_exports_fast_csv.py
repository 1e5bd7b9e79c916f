"""The products CSV made by PostgreSQL (dataio.exports.fast_csv._products_csv_blocks) is
byte for byte the file the Python writer makes, on a catalogue of awkward cells."""
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import JSONField, Value

from dataio.exports import export_file_open, export_job_run, export_write, fast_csv, sources
from dataio.models import ExportJob, ExportStatus
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the database writes the CSV on PostgreSQL only"),
]

# Text that must be neutralised, quoted, or both, in every place a text cell comes from.
AWKWARD = ["=SUM(A1)", "+1", "-2", "@cmd", "\tlead tab", "\rlead cr", 'say "hi"', "a,b", "two\nlines",
           "cr\rinside", "crlf\r\nend", "naïve café 東京 🚀", "'quoted already", "=", ""]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue():
    """Nested categories (three levels, awkward names), products and variants whose every
    text column starts like a formula or holds quotes, commas, line breaks or unicode,
    blank descriptions and barcodes, prices and costs set or not, attributes SQL formats
    and attributes it leaves to Python, inactive variants and products."""
    root = factories.CategoryFactory(name="=Root, \"main\"")
    child = factories.CategoryFactory(name="Child\nline", parent=root)
    grandchild = factories.CategoryFactory(name="-Grand", parent=child)
    other = factories.CategoryFactory(name="Other")
    categories = [root, child, grandchild, other, None]
    attributes = [
        {},
        {"size": "M", "colour": "Blue"},
        {" spaced key ": "  padded value\u3000", "a;b": "c=d", "back\\slash": "x\\;y=z", "=eq": "@at"},
        {"flag": True, "off": False, "none": None, "count": 12, "big": -12345678901234567890},
        {"empty": "", "": "no name", "tab": "\tx\t", "unicode": "\u00a0ünï\u2003"},
        {"-minus": "=1", "quote": 'say "x", ok', "nl": "a\nb"},
        # Left to Python: a fraction, an object, a list, whole-number-looking floats.
        {"weight": 1.5, "size": "L"},
        {"nested": {"inner": "v", "n": 2}},
        {"list": [1, "two", None]},
        {"exp": 1e-7, "whole": 2.0},
        # Not an object at all.
        ["a", "b"],
        "just text",
        7,
        Value(None, JSONField()),  # JSON null
    ]
    prices = [None, Decimal("0.00"), Decimal("12.50"), Decimal("1234567890.12"), Decimal("0.01")]
    sku_number = 0
    for index, text in enumerate(AWKWARD):
        product = factories.ProductFactory(
            name=(text or "Blank") + f" {index}" if index % 3 else text + f"{index}",
            category=categories[index % len(categories)],
            description=AWKWARD[(index + 3) % len(AWKWARD)],
            active=index % 4 != 1,
            track_inventory=index % 5 != 2,
        )
        for number in range(3):
            sku_number += 1
            factories.VariantFactory(
                product=product,
                sku=f"{AWKWARD[(index + number) % len(AWKWARD)]}-{sku_number:03d}",
                barcode="" if number == 1 else AWKWARD[(index + 2 * number + 5) % len(AWKWARD)][:40],
                attributes=attributes[(index + number) % len(attributes)],
                price=prices[(index + number) % len(prices)],
                cost=prices[(index + 2 * number) % len(prices)],
                active=(index + number) % 3 != 0,
            )
    # Plain rows too, so chunks of only ordinary lines take the quick way.
    plain = factories.ProductFactory(name="Plain Tee", category=grandchild, description="Cotton")
    for number in range(6):
        factories.VariantFactory(product=plain, sku=f"PLAIN-{number}", barcode=f"5000{number}",
                                 attributes={"size": str(number)}, price=Decimal("9.99"))
    return {"root": root, "child": child, "grandchild": grandchild, "other": other}


def _write(filters: dict, *, in_database: bool, monkeypatch) -> tuple[bytes, int, list]:
    """The products CSV for `filters`, by the database or by the Python writer."""
    used = []
    real = fast_csv._products_csv_blocks

    def spy(qs):
        used.append(True)
        return real(qs)

    with monkeypatch.context() as patch:
        patch.setattr(sources, "_products_csv_blocks", spy)
        if not in_database:
            patch.setattr(sources, "_csv_in_database", lambda alias: False)
        out = io.BytesIO()
        progress = []
        rows = export_write(type="products", format="csv", filters=filters, file=out,
                            progress=lambda done, total: progress.append((done, total)))
    assert used == ([True] if in_database else [])
    return out.getvalue(), rows, progress


FILTERS = [
    {},
    {"category": "root"},
    {"category": "child"},
    {"category": "grandchild"},
    {"category": "other"},
    {"active": True},
    {"active": False},
    {"q": "PLAIN"},
    {"q": "sum"},  # icontains on the SKU and the product's name
    {"q": "5000"},  # a barcode, exactly
    {"q": '"'},
    {"q": "%"},  # LIKE's wildcards are matched as text
    {"q": "_"},
    {"category": "root", "active": True, "q": "-"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=[str(filters) for filters in FILTERS])
@pytest.mark.parametrize("chunk_size", [5000, 4])
def test_products_csv_from_the_database_is_the_python_writers_file(catalogue, filters, chunk_size,
                                                                    monkeypatch):
    monkeypatch.setattr("dataio.exports.rows.CHUNK_SIZE", chunk_size)  # several chunks: quick and careful ones
    monkeypatch.setattr("dataio.exports.fast_csv.CHUNK_SIZE", chunk_size)
    filters = {name: catalogue[value].pk if name == "category" else value for name, value in filters.items()}

    expected, expected_rows, _ = _write(filters, in_database=False, monkeypatch=monkeypatch)
    content, rows, progress = _write(filters, in_database=True, monkeypatch=monkeypatch)

    assert content == expected
    assert rows == expected_rows == content.count(b"\r\n") - 1 - content.count(b"\r\nend")
    assert progress[0] == (0, rows) and progress[-1] == (rows, rows)


def test_products_csv_from_the_database_covers_the_awkward_cases(catalogue, monkeypatch):
    content, rows, _ = _write({}, in_database=True, monkeypatch=monkeypatch)

    assert rows == 3 * len(AWKWARD) + 6
    assert content.startswith("\ufeffsku,product,category".encode())
    for cell in (b'"\'=SUM(A1)-', b"'+1", b'"\'-2', b'"\'@cmd', b'"\'\tlead tab', b'"\'\rlead cr',
                 b'"say ""hi""', b'"a,b', b'"two\nlines', "naïve café 東京 🚀".encode()):
        assert cell in content
    assert "\"'=Root, \"\"main\"\" / Child\nline / -Grand\"".encode() in content  # a nested path, quoted
    assert b",size=M; colour=Blue," in content
    # Names in PostgreSQL's order of an object's keys (shorter first), as the Python path reads them.
    assert b",\\=eq=@at; a\\;b=c\\=d; back\\\\slash=x\\\\\\;y\\=z; spaced key=padded value," in content
    assert b",big=-12345678901234567890; off=false; flag=true; none=; count=12," in content
    assert b",size=L; weight=1.5," in content and b",exp=0.0000001; whole=2.0," in content  # by Python
    assert b',"[""a"",""b""]",' in content and b',"""just text""",' in content  # not objects
    assert b",12.50," in content and b",1234567890.12," in content and b",0.00," in content


def test_export_job_run_products_csv_counts_rows_as_the_python_path(catalogue, monkeypatch):
    monkeypatch.setattr("dataio.exports.rows.CHUNK_SIZE", 5)
    monkeypatch.setattr("dataio.exports.fast_csv.CHUNK_SIZE", 5)
    job = export_job_run(job=ExportJob.objects.create(type="products", format="csv", filters={}))
    with export_file_open(job=job) as file:
        content = file.read()
    expected, rows, _ = _write({}, in_database=False, monkeypatch=monkeypatch)

    assert job.status == ExportStatus.COMPLETED, job.error
    assert job.row_count == job.rows_done == job.rows_total == rows
    assert content == expected


def test_products_csv_with_no_rows_is_the_header_only(catalogue, monkeypatch):
    content, rows, _ = _write({"q": "nothing matches this"}, in_database=True, monkeypatch=monkeypatch)
    expected, _, _ = _write({"q": "nothing matches this"}, in_database=False, monkeypatch=monkeypatch)

    assert rows == 0 and content == expected


def test_python_whitespace_is_what_str_strip_strips():
    everything = "".join(char for char in map(chr, range(0x110000)) if char.isspace())

    assert fast_csv.PYTHON_WHITESPACE == everything
