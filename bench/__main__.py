"""`python -m bench [NAME ...]`: run the named benchmarks (all of them by default).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench DEBUG=1 python -m bench ledger_hot

Environment: BENCH_SECONDS (default 10) per timed run, BENCH_THREADS (default 1,4,16).
"""
import sys

BENCHES = ["ledger_hot", "ledger_spread", "inventory_list", "products_list", "reserve_hot", "webhook_throughput", "export_products", "import_products", "backup_restore"]


def main(argv: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        print(__doc__.strip() + "\n\nBenchmarks: " + ", ".join(BENCHES), file=sys.stderr)
        return 0
    names = argv or BENCHES
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}. Choose from: {', '.join(BENCHES)}", file=sys.stderr)
        return 2

    from bench.common import database_ensure, django_setup, emit, log, tables_vacuum

    database_ensure()
    django_setup()

    from bench import backup_restore, exports, imports, inventory_list, ledger, products_list, reservations

    runners = {
        "ledger_hot": ledger.ledger_hot,
        "ledger_spread": ledger.ledger_spread,
        "inventory_list": inventory_list.inventory_list,
        "products_list": products_list.products_list,
        "reserve_hot": reservations.reserve_hot,
        "webhook_throughput": reservations.webhook_throughput,
        "import_products": imports.import_products,
        "export_products": exports.export_products,
        "backup_restore": backup_restore.backup_restore,
    }
    for name in names:
        log(f"running {name}: vacuuming first")
        tables_vacuum()
        for record in runners[name]():
            emit(record)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
