/// A table for a terminal: columns padded to their widest cell, two spaces apart, the last one unpadded.
enum TextTable {
    /// `header` and `rows` (each as many cells as the header), one line each.
    static func render(header: [String], rows: [[String]]) -> String {
        let lines = [header] + rows
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            line.indices.map { column in
                column == line.count - 1
                    ? line[column] : line[column] + String(repeating: " ", count: widths[column] - line[column].count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
