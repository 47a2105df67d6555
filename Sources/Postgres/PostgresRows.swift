/// The rows of a finished statement, copied out of libpq as text (`nil` is SQL NULL).
///
/// A collection of ``PostgresRow``, so `rows.first?["id"]` reads the `id` column of the first row.
public struct PostgresRows: Sendable, RandomAccessCollection {
    /// The result's column names, in order.
    public let columns: [String]
    /// Every row's values in column order; `nil` is SQL NULL.
    public let rows: [[String?]]
    /// Rows inserted, updated, deleted, selected… as PostgreSQL counts them (`PQcmdTuples`); 0 when it says nothing.
    public let affectedRowCount: Int

    /// Creates a result from already-copied values.
    public init(columns: [String], rows: [[String?]], affectedRowCount: Int) {
        self.columns = columns
        self.rows = rows
        self.affectedRowCount = affectedRowCount
    }

    /// The position of the first row.
    public var startIndex: Int { rows.startIndex }
    /// The position after the last row.
    public var endIndex: Int { rows.endIndex }

    /// The row at `position`.
    public subscript(position: Int) -> PostgresRow {
        PostgresRow(columns: columns, values: rows[position])
    }

    /// The value of `column` in row `row`; `nil` for SQL NULL, a missing row or an unknown column.
    public func value(row: Int, column: String) -> String? {
        guard rows.indices.contains(row) else { return nil }
        return self[row][column]
    }
}

/// One row of a ``PostgresRows``: values by column name or position, as text.
public struct PostgresRow: Sendable {
    /// The result's column names, in order.
    public let columns: [String]
    /// The row's values in column order; `nil` is SQL NULL.
    public let values: [String?]

    /// The value of the first column named `column`; `nil` for SQL NULL or when no column has that name.
    public subscript(column: String) -> String? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return values[index]
    }

    /// The value at column position `index`; `nil` for SQL NULL or an index out of range.
    public subscript(index: Int) -> String? {
        values.indices.contains(index) ? values[index] : nil
    }

    /// True when the row has a column named `column` (to tell NULL from a typo).
    public func hasColumn(_ column: String) -> Bool {
        columns.contains(column)
    }
}
