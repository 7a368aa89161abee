import Benchmark
import Foundation
import GridStore

/// `import osm` of whole-country extracts into a new store (what `communitygrid init` + `import osm` do),
/// wall clock and peak resident memory. `import-vs-ogr2ogr.sh` runs the whole-process comparison.
let benchmarks: @Sendable () -> Void = {
    let geodata = ProcessInfo.processInfo.environment["COMMUNITYGRID_GEODATA"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../shared/geodata").standardized.path
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident], warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 7)

    for file in ["bench_andorra_2021-04-13.osm.pbf", "bench_liechtenstein_2015-07-27.osm.pbf"] {
        let path = "\(geodata)/\(file)"
        guard FileManager.default.fileExists(atPath: path) else {
            print("skipping \(file): not found under \(geodata) (set COMMUNITYGRID_GEODATA)")
            continue
        }
        Benchmark("init + import osm \(file)") { benchmark in
            for _ in benchmark.scaledIterations {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cg-bench-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let store = try Store.create(path: directory.appendingPathComponent("store.sqlite").path)
                blackHole(try OSMImporter.run(store: store, path: path))
            }
        }
    }
}
