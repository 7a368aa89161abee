// swift-tools-version:6.1
// Benchmarks live in their own package so that the product's build and tests do not compile the harness.
// Run: cd Benchmarks && swift package benchmark
// The benchmark commands (`communitygrid-bench`, in CommandLine/) are a product of the top-level package instead.
import PackageDescription

let package = Package(
    name: "CommunityGridBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "CommunityGrid", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "OSMImport",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GridStore", package: "CommunityGrid"),
            ],
            path: "Benchmarks/OSMImport",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ],
    swiftLanguageModes: [.v6]
)
