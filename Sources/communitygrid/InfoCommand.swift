import ArgumentParser
import GridCommandLine
import GridModel
import GridStore

struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What the store holds: counts, extent, layers, imports.")

    @OptionGroup var store: StoreOptions
    @Flag(help: "One JSON object.") var json = false

    func run() async throws {
        let info = try StoreInfo.read(try store.open())
        if json { try Console.printJSON(info.json); return }
        print("store: \(info.path)")
        for (name, value) in info.counts { print("  \(name): \(value)") }
        for (category, count) in info.facilitiesByCategory { print("  facilities \(category): \(count)") }
        if let box = info.bbox { print("  extent: \(box.minLongitude),\(box.minLatitude),\(box.maxLongitude),\(box.maxLatitude)") }
        print("  spatial metadata: \(info.spatialMetadata == 3 ? "Spatialite 4+ (QGIS-ready)" : "\(info.spatialMetadata)")")
        for line in info.households.lines { print("  " + line) }
        if !info.detachedRegister.isEmpty {
            print("  register rows kept detached (their building is no longer in the store):")
            for item in info.detachedRegister.prefix(20) { print("    \(item.sourceID): \(item.rows) rows from \(item.file)") }
            if info.detachedRegister.count > 20 { print("    … and \(info.detachedRegister.count - 20) more buildings") }
        }
        for item in info.imports {
            print("  import \(item.finishedAt): \(item.file) (\(item.format)\(item.layer.map { ", \($0)" } ?? "")), \(item.warnings) warnings")
        }
    }
}
