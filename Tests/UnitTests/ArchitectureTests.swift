import Foundation
import Testing

/// The layering, enforced: each source target imports only what its row below allows, C modules only through
/// `internal import` in their one wrapper, and no target exists that the table does not know.
///
/// The table is the architecture: change it here, on purpose, together with Package.swift; docs/architecture.md
/// shows the same table, and a test below fails when the two differ.
@Suite("Architecture")
struct ArchitectureTests {
    /// Every source target and the modules its files may import.
    static let allowedImports: [String: Set<String>] = [
        "Runtime": ["Glibc"],
        "JSON": ["Runtime"],
        "FastCGI": ["CFastCGI", "Glibc", "Logging", "Runtime"],
        "Postgres": ["CLibPQ", "Runtime"],
        "HTTPClient": ["CCurl"],
        "JWT": ["COpenSSL", "JSON", "Runtime", "Secrets"],
        "Secrets": ["COpenSSL", "Runtime"],
        "Resilience": ["Runtime"],
        "StructuredLogging": ["Glibc", "JSON", "Logging", "Runtime"],
        // Request metrics through swift-metrics' API only; which backend records them is the executable's choice.
        "HTTPServer": ["CoreMetrics", "FastCGI", "JSON", "Logging"],
        // No Foundation (on Linux it re-exports Glibc: a hole in this table); Runtime lists folders and reads files.
        // Prometheus: the metrics route writes the registry's exposition.
        "TenantWhatsApp": [
            "CoreMetrics", "HTTPClient", "HTTPServer", "JSON", "JWT", "Logging", "Postgres", "Prometheus", "Resilience",
            "Runtime", "Secrets", "StructuredLogging",
        ],
        "EvolutionSimulator": ["HTTPClient", "HTTPServer", "JSON", "JWT", "Logging", "Runtime", "Synchronization"],
        // `serve` bootstraps MetricsSystem with the Prometheus registry.
        "tenant-whatsapp": [
            "ArgumentParser", "CoreMetrics", "FastCGI", "HTTPServer", "JSON", "Logging", "Postgres", "Prometheus",
            "Runtime", "Secrets", "StructuredLogging", "TenantWhatsApp",
        ],
        "evolution-sim": [
            "ArgumentParser", "EvolutionSimulator", "FastCGI", "HTTPServer", "Logging", "Runtime",
            "StructuredLogging",
        ],
        // System libraries: a module map and a shim, no Swift.
        "CFastCGI": [], "CLibPQ": [], "CCurl": [], "COpenSSL": [],
    ]

    /// Modules that wrap C or the operating system: imported only as `internal import`, so no C type can leak
    /// into a public signature.
    static let systemModules: Set<String> = ["Glibc", "CFastCGI", "CLibPQ", "CCurl", "COpenSSL"]

    @Test func everySourceTargetImportsOnlyWhatTheTableAllows() throws {
        for (target, imports) in try Self.importsByTarget() {
            let allowed = try #require(Self.allowedImports[target], "target \(target) is missing from the table")
            let forbidden = Set(imports.map(\.module)).subtracting(allowed)
            #expect(forbidden.isEmpty, "\(target) imports \(forbidden.sorted()), allowed: \(allowed.sorted())")
        }
    }

    @Test func cModulesAndGlibcAreImportedInternally() throws {
        for found in try Self.importsByTarget().values.joined()
        where Self.systemModules.contains(found.module) && !found.isInternal {
            Issue.record("\(found.file) imports \(found.module) without `internal`")
        }
    }

    @Test func theProductItselfTouchesNoCModuleAndNoGlibc() throws {
        let product = try #require(try Self.importsByTarget()["TenantWhatsApp"])
        #expect(product.filter { Self.systemModules.contains($0.module) }.isEmpty)
        #expect(product.filter { $0.module.hasPrefix("Foundation") }.isEmpty, "Foundation re-exports Glibc")
    }

    @Test func theLayoutTableOfTheDocsListsExactlyTheseTargetsAndImports() throws {
        let documented = try Self.documentedLayout()
        #expect(Set(documented.keys) == Set(Self.allowedImports.keys))
        for (target, imports) in documented {
            #expect(imports == Self.allowedImports[target], "docs/architecture.md, row \(target)")
        }
    }

    @Test func everyFolderOfSourcesIsATargetOfTheTable() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.sourcesDirectory.path)
        #expect(Set(folders) == Set(Self.allowedImports.keys))
    }

    /// The `target | owns | may import` rows of docs/architecture.md: each target (in backticks) and its imports
    /// (`—` for none).
    static func documentedLayout() throws -> [String: Set<String>] {
        let url = sourcesDirectory.deletingLastPathComponent().appendingPathComponent("docs/architecture.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let header = try #require(lines.firstIndex { $0.hasPrefix("| target | owns | may import |") })
        var rows: [String: Set<String>] = [:]
        for line in lines[(header + 2)...].prefix(while: { $0.hasPrefix("|") }) {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 4 else { continue }
            let target = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let imports =
                cells[3] == "—"
                ? []
                : cells[3].split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            rows[target] = Set(imports)
        }
        return rows
    }

    // MARK: - Reading the sources

    struct FoundImport {
        let file: String
        let module: String
        let isInternal: Bool
    }

    static var sourcesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
    }

    /// The imports of every Swift file, by target folder.
    static func importsByTarget() throws -> [String: [FoundImport]] {
        let manager = FileManager.default
        var result: [String: [FoundImport]] = [:]
        for target in try manager.contentsOfDirectory(atPath: sourcesDirectory.path) {
            let folder = sourcesDirectory.appendingPathComponent(target)
            result[target] = []
            guard let files = manager.enumerator(atPath: folder.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                result[target]! += imports(in: text, file: "\(target)/\(file)")
            }
        }
        return result
    }

    /// `import X`, `internal import X`, `@testable import X`, `import struct X.Y`: the module X of each.
    static func imports(in text: String, file: String) -> [FoundImport] {
        text.split(separator: "\n").compactMap { line in
            var words = line.split(separator: " ").map(String.init)
            guard let index = words.firstIndex(of: "import"), words.count > index + 1,
                words[..<index].allSatisfy({
                    ["internal", "public", "package", "@testable", "private", "fileprivate"]
                        .contains($0) || $0.hasPrefix("@")
                })
            else { return nil }
            let isInternal = words[..<index].contains("internal") || words[..<index].contains("private")
            words.removeFirst(index + 1)
            let kinds: Set<String> = ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"]
            if let first = words.first, kinds.contains(first) { words.removeFirst() }
            guard let path = words.first else { return nil }
            let module = String(path.split(separator: ".").first ?? Substring(path))
            return FoundImport(file: file, module: module, isInternal: isInternal)
        }
    }
}
