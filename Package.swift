// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "CommunityGrid",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "communitygrid", targets: ["communitygrid"]),
        .executable(name: "communitygrid-bench", targets: ["CommunityGridBench"]),
        .library(name: "GridModel", targets: ["GridModel"]),
        .library(name: "GridAnalysis", targets: ["GridAnalysis"]),
        .library(name: "GridStore", targets: ["GridStore"]),
        .library(name: "GridServices", targets: ["GridServices"]),
        .library(name: "GridCases", targets: ["GridCases"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
    ],
    targets: [
        // Geometry, GeoJSON, WKB, measures and the demo-district generator: pure values, no I/O.
        .target(name: "GridModel", swiftSettings: strictSettings),
        // Deterministic generator of believable Chinese districts (demo data and benchmark cities): no I/O.
        .target(name: "DemoCity", dependencies: ["GridModel"], swiftSettings: strictSettings),
        // Walking graph, snapping, searches: algorithms over GridModel values, no I/O.
        .target(name: "GridAnalysis", dependencies: ["GridModel"], swiftSettings: strictSettings),
        // Mapbox Vector Tile 2.1 encoder and WebMercatorQuad tile geometry (clip, simplify, quantise): no I/O.
        .target(name: "GridTiles", dependencies: ["GridModel"], swiftSettings: strictSettings),
        // Case workflow, working calendar, deadlines and evaluation of the grid's daily loop: no I/O.
        .target(name: "GridCases", dependencies: ["GridModel"], swiftSettings: strictSettings),
        // libreadosm (XML and PBF) and zlib (for .osm.gz), from Debian.
        .systemLibrary(
            name: "CReadOSM",
            pkgConfig: "readosm",
            providers: [.apt(["libreadosm-dev", "zlib1g-dev"])]),
        // libdeflate (from Debian): gzip of responses and tiles, two to three times zlib's speed at the same level.
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        // PROJ (libproj, from Debian): EPSG coordinate systems for planners' layers.
        .systemLibrary(name: "CProj", pkgConfig: "proj", providers: [.apt(["libproj-dev"])]),
        // libxlsxwriter (from Debian): the report's XLSX workbook.
        .systemLibrary(name: "CXLSXWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        // The street office's report rendered from values: HTML with inline SVG and CSS, and its tables. No I/O.
        .target(name: "GridReport", dependencies: ["GridModel"], swiftSettings: strictSettings),
        // Report files: the XLSX workbook through libxlsxwriter and the PDF through headless Chromium.
        .target(name: "GridReportFiles", dependencies: ["GridReport", "CXLSXWriter"], swiftSettings: strictSettings),
        // Spatialite file: connection, migrations, importers, exporters.
        .target(
            name: "GridStore",
            dependencies: [
                "GridModel", "GridAnalysis", "GridTiles", "GridCases", "CReadOSM", "CDeflate", "CProj", "GridReport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings),
        // Jobs a front end starts (a rebalance run, its background job, a coverage run) and the walking network they
        // load: over GridStore, no HTTP, no argument parsing.
        .target(name: "GridServices", dependencies: ["GridModel", "GridAnalysis", "GridStore", "GridReport"], swiftSettings: strictSettings),
        // HTTP API (OGC API – Features, coverage, isochrones, runs) and the map page: an adapter over GridStore.
        .target(
            name: "GridServer",
            dependencies: [
                "GridModel", "GridAnalysis", "GridStore", "GridServices", "GridTiles", "GridCases", "CReadOSM",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Resources/openapi.json"), .copy("Resources/map")],
            swiftSettings: strictSettings),
        // What both executables share: --db and --profile options, console output, exit codes.
        .target(
            name: "GridCommandLine",
            dependencies: [
                "GridModel", "GridAnalysis", "GridStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),
        .executableTarget(
            name: "communitygrid",
            dependencies: [
                "GridModel", "GridAnalysis", "GridStore", "GridServices", "GridCases", "DemoCity", "GridServer", "GridCommandLine", "GridReport", "GridReportFiles", "CReadOSM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),
        // The benchmark commands (peer harness, coverage on generated cities, isochrones, districting): not shipped
        // in `communitygrid`. Benchmarks/Package.swift is the separate package of the ordo-one benchmarks.
        .executableTarget(
            name: "CommunityGridBench",
            dependencies: [
                "GridModel", "GridAnalysis", "GridStore", "GridServices", "DemoCity", "GridCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/CommandLine",
            swiftSettings: strictSettings),
        // What every test target shares: where ../shared is, temporary folders and stores, refusal checks, python.
        .target(
            name: "TestSupport",
            dependencies: ["GridStore", "GridReportFiles", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings),
        .testTarget(name: "GridModelTests", dependencies: ["GridModel", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "DemoCityTests", dependencies: ["DemoCity", "GridModel", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "GridTilesTests", dependencies: ["GridTiles", "GridModel", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "GridCasesTests", dependencies: ["GridCases", "GridModel", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "GridAnalysisTests", dependencies: ["GridAnalysis", "GridModel", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "GridReportTests", dependencies: ["GridReport", "GridReportFiles", "GridModel", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "GridStoreTests",
            dependencies: ["GridStore", "GridServices", "GridModel", "GridAnalysis", "GridTiles", "GridCases", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "GridServerTests",
            dependencies: [
                "GridServer", "GridStore", "GridServices", "GridModel", "GridAnalysis", "GridTiles", "GridCases", "GridReportFiles", "DemoCity", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "GridServicesTests", dependencies: ["GridServices", "GridStore", "GridModel", "GridAnalysis", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "CLITests",
            dependencies: ["communitygrid", "CommunityGridBench", "GridModel", "GridStore", "GridServices", "GridCases", "GridReportFiles", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
