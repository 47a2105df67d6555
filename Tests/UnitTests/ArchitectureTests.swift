import Foundation
import Testing

/// The layering, enforced: each source target imports only what its row below allows, C modules only through
/// `internal import` in their one wrapper, and no target exists that the table does not know.
///
/// The table is the architecture (README, "Layout"): change it here, on purpose, together with Package.swift.
@Suite("Architecture")
struct ArchitectureTests {
    /// Every source target and the modules its files may import.
    static let allowedImports: [String: Set<String>] = [
        "Runtime": ["Glibc"],
        "JSON": ["Runtime"],
        "FastCGI": ["CFastCGI", "Glibc", "Logging", "Runtime"],
        "Postgres": ["CLibPQ", "Runtime"],
        "HTTPClient": ["CCurl"],
        "JWT": ["COpenSSL", "JSON", "Runtime"],
        "Secrets": ["COpenSSL"],
        "Resilience": ["Runtime"],
        "StructuredLogging": ["Glibc", "JSON", "Logging", "Runtime"],
        // Request metrics through swift-metrics' API only; which backend records them is the executable's choice.
        "HTTPServer": ["CoreMetrics", "FastCGI", "JSON", "Logging"],
        // Migrations list a folder with Foundation's FileManager (Essentials where it exists). Prometheus: the
        // metrics route writes the registry's exposition.
        "TenantWhatsApp": [
            "CoreMetrics", "Foundation", "FoundationEssentials", "HTTPClient", "HTTPServer", "JSON", "JWT", "Logging",
            "Postgres", "Prometheus", "Resilience", "Runtime", "Secrets", "StructuredLogging",
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
