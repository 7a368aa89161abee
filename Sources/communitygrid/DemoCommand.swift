import ArgumentParser
import DemoCity
import Foundation

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the generated demo district (OSM, communities, grids, household register) to a folder.",
        discussion: "The output is deterministic: the same seed writes byte-identical files (GeoData/ holds seed 1).")

    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR")) var out: String = "GeoData"
    @Option(help: "Generator seed.") var seed: UInt64 = DistrictParameters.demo.seed

    func run() async throws {
        var parameters = DistrictParameters.demo
        parameters.seed = seed
        let district = District.generate(parameters)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let files = [
            ("demo-district.osm", district.osmXML()),
            ("communities.geojson", district.communitiesGeoJSON()),
            ("grids.geojson", district.gridsGeoJSON()),
            ("households.csv", district.registerCSV()),
        ]
        for (name, text) in files {
            let path = (out as NSString).appendingPathComponent(name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            print("wrote \(path) (\(text.utf8.count) bytes)")
        }
    }
}
