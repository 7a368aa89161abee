import ArgumentParser
import GridCommandLine
import GridModel
import GridStore

extension GeoJSONExporter.Layer: ExpressibleByArgument {}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one layer as an RFC 7946 GeoJSON FeatureCollection to standard output.",
        discussion: "With --crs the positions are in that system and the collection names it in a \"crs\" member, which import honours.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "communities, grids, buildings, facilities or network.") var layer: GeoJSONExporter.Layer
    @Option(help: ArgumentHelp("Only features meeting this box (WGS84).", valueName: "minLon,minLat,maxLon,maxLat")) var bbox: String?
    @OptionGroup var crs: CoordinateSystemOption

    func run() async throws {
        let box: BoundingBox?
        do { box = try bbox.map { try BoundingBox.parse($0) } } catch { throw ValidationError("--bbox: \(error)") }
        try GeoJSONExporter.export(store: try store.open(), layer: layer, bbox: box, crs: try crs.system(), write: Console.standardOutput)
    }
}
