// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "tenant-whatsapp",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tenant-whatsapp", targets: ["tenant-whatsapp"]),
        .executable(name: "evolution-sim", targets: ["evolution-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // Metrics: the code records through swift-metrics' API (no-ops until `serve` bootstraps a backend), and
        // swift-prometheus is that backend, writing `GET /api/metrics` in Prometheus' text format.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries, as Debian ships them.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Thin Swift owners of the C handles; they know nothing of HTTP or of the product.
        .target(
            name: "FastCGI", dependencies: ["CFastCGI", "Runtime", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Postgres", dependencies: ["CLibPQ", "Runtime"]),
        .target(name: "JSON", dependencies: ["Runtime"]),
        // The operating system as the product needs it: threads, locks, sleeping; one choke point per call family.
        .target(name: "Runtime"),
        .target(name: "JWT", dependencies: ["COpenSSL", "JSON", "Runtime", "Secrets"]),
        // Secrets at rest: AES-256-GCM sealing of the keys PostgreSQL stores; HMAC-SHA256 and Standard Webhooks signing.
        .target(name: "Secrets", dependencies: ["COpenSSL", "Runtime"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        .target(name: "Resilience", dependencies: ["Runtime"]),

        // One JSON line per log record, to standard error or a file.
        .target(
            name: "StructuredLogging",
            dependencies: ["JSON", "Runtime", .product(name: "Logging", package: "swift-log")]
        ),

        // FastCGI requests as HTTP requests and responses, routing, request logging and request metrics.
        .target(
            name: "HTTPServer",
            dependencies: [
                "FastCGI", "JSON", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // The product: configuration, routes, handlers, services, migrations.
        .target(
            name: "TenantWhatsApp",
            dependencies: [
                "HTTPServer", "Postgres", "JSON", "JWT", "HTTPClient", "Resilience", "Runtime", "Secrets",
                "StructuredLogging",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "tenant-whatsapp",
            dependencies: [
                "TenantWhatsApp", "HTTPServer", "FastCGI", "JSON", "Postgres", "Runtime", "Secrets",
                "StructuredLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // The Evolution API simulator: its behaviour as a library (unit-testable), served by a thin executable.
        .target(
            name: "EvolutionSimulator",
            dependencies: [
                "HTTPServer", "JSON", "HTTPClient", "JWT", "Runtime", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "evolution-sim",
            dependencies: [
                "EvolutionSimulator", "HTTPServer", "FastCGI", "Runtime", "StructuredLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Test support shared by the test targets: HMAC-signed tokens minted byte by byte (independent of JWT).
        .target(name: "TestTokenMinting", dependencies: ["COpenSSL"], path: "Tests/TestTokenMinting"),
        // Test support shared by the test targets: programs started with posix_spawn instead of Foundation's Process.
        .target(name: "TestProcesses", path: "Tests/TestProcesses"),

        .testTarget(name: "JWTTests", dependencies: ["JWT", "TestTokenMinting", "TestProcesses"]),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI"]),
        .testTarget(name: "ResilienceTests", dependencies: ["Resilience"]),
        .testTarget(name: "SecretsTests", dependencies: ["Secrets"]),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "TenantWhatsApp", "HTTPServer", "JSON", "JWT", "TestTokenMinting", "EvolutionSimulator",
                "Resilience", "Runtime", "Postgres", "Secrets", "StructuredLogging",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Postgres", "TestTokenMinting", "TestProcesses", "HTTPClient", "JWT", "TenantWhatsApp", "Runtime",
                "Secrets",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
