"""A test-only SQLAlchemy dialect: SQLite that refuses to connect without the right password.

``sqlitepw://user:PASSWORD@//abs/path.sqlite`` opens the SQLite file only when
PASSWORD is :data:`tests.test_report_safety.SECRET`, so a test can check end to
end that a database URL's password is needed to read the data and yet never
written to a report, a notebook or a message.
"""
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite


class PasswordSQLiteDialect(SQLiteDialect_pysqlite):
    supports_statement_cache = True

    def create_connect_args(self, url):
        from tests.test_report_safety import SECRET

        if url.password != SECRET:
            raise PermissionError("sqlitepw: wrong or missing password")
        from sqlalchemy.engine import URL

        return super().create_connect_args(URL.create("sqlite", database=url.database, query=url.query))
