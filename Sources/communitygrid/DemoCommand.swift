import ArgumentParser
import CReadOSM
import DemoCity
import Foundation
import GridModel

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the generated demo district (OSM, communities, grids, household register) to a folder, or a generated city.",
        discussion: """
            The output is deterministic: the same seed writes byte-identical files (GeoData/ holds seed 1).
            With --buildings N the folder gets a connected city of about N buildings (demo-sized districts tiled and \
            joined by footways) as city.osm.pbf, communities.geojson, grids.geojson and households.csv, written \
            district by district so that memory stays that of one district; --osm-xml adds city.osm.
            """)

    @Option(help: ArgumentHelp("Output folder (GeoData without --buildings).", valueName: "DIR")) var out: String?
    @Option(help: "Generator seed.") var seed: UInt64 = DistrictParameters.demo.seed
    @Option(help: ArgumentHelp("Write a city of about N buildings instead of the demo district.", valueName: "N"))
    var buildings: Int?
    @Flag(help: "With --buildings: also write the city as OSM XML (city.osm).") var osmXml = false

    static let maximumBuildings = 20_000_000

    func validate() throws {
        if let buildings {
            guard (1...Self.maximumBuildings).contains(buildings) else {
                throw ValidationError("--buildings must be between 1 and \(Self.maximumBuildings), got \(buildings)")
            }
            guard out != nil else { throw ValidationError("--buildings needs --out DIR (GeoData/ holds the demo district)") }
        } else if osmXml {
            throw ValidationError("--osm-xml goes with --buildings")
        }
    }

    func run() async throws {
        let out = out ?? "GeoData"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        if let buildings {
            try CityFiles.write(City(buildings: buildings, seed: seed), to: out, xml: osmXml)
            return
        }
        var parameters = DistrictParameters.demo
        parameters.seed = seed
        let district = District.generate(parameters)
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

/// Streams a generated city to its files, one district at a time.
enum CityFiles {
    static func write(_ city: City, to folder: String, xml: Bool) throws {
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        var osm = CityOSMWriter(pbf: try SectionedFile(path: path("city.osm.pbf"), sections: 3),
                                xml: xml ? try SectionedFile(path: path("city.osm"), sections: 3) : nil)
        let communities = try StreamedFile(path: path("communities.geojson"))
        let grids = try StreamedFile(path: path("grids.geojson"))
        let register = try StreamedFile(path: path("households.csv"))
        try communities.append(DemoText.featureCollectionHeader)
        try grids.append(DemoText.featureCollectionHeader)
        try register.append(DemoText.registerHeader)
        var counts = (buildings: 0, communities: 0, grids: 0, rows: 0, joins: 0)
        try city.forEachDistrict { part in
            try osm.add(part)
            var text = ""
            for community in part.communities {
                text += counts.communities == 0 ? "\n" : ",\n"
                text += DemoText.feature(community)
                counts.communities += 1
            }
            try communities.append(text)
            text = ""
            for grid in part.grids {
                text += counts.grids == 0 ? "\n" : ",\n"
                text += DemoText.feature(grid)
                counts.grids += 1
            }
            try grids.append(text)
            text = ""
            for row in part.register { text += DemoText.registerLine(row) }
            try register.append(text)
            counts.buildings += part.buildingCount
            counts.rows += part.register.count
            counts.joins += part.joiningWays
        }
        try communities.append(DemoText.featureCollectionFooter)
        try grids.append(DemoText.featureCollectionFooter)
        try osm.finish()
        for file in [communities, grids, register] { try file.finish() }
        print("city of \(city.districtCount) districts (\(city.columns) per row), \(counts.buildings) buildings, "
              + "\(osm.nodeCount) nodes, \(osm.wayCount) ways (\(counts.joins) joining footways), \(osm.relationCount) relations, "
              + "\(counts.communities) communities, \(counts.grids) grids, \(counts.rows) register rows")
        for name in ["city.osm.pbf"] + (xml ? ["city.osm"] : []) + ["communities.geojson", "grids.geojson", "households.csv"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: path(name)))?[.size] as? Int ?? 0
            print("wrote \(path(name)) (\(size) bytes)")
        }
    }
}

/// OSM PBF (and optionally XML) of a city, sorted by type then id: nodes, ways and relations go to three sections
/// that are joined when the city is complete, so the header can carry the bounding box.
struct CityOSMWriter {
    let pbf: SectionedFile
    let xml: SectionedFile?
    private var nodes: [District.Node] = []
    private var ways: [District.Way] = []
    private var relations: [District.Relation] = []
    private(set) var nodeCount = 0, wayCount = 0, relationCount = 0
    private var southWest = Coordinate(longitude: .infinity, latitude: .infinity)
    private var northEast = Coordinate(longitude: -.infinity, latitude: -.infinity)

    init(pbf: SectionedFile, xml: SectionedFile?) {
        self.pbf = pbf
        self.xml = xml
    }

    mutating func add(_ part: City.Part) throws {
        for node in part.nodes {
            southWest = Coordinate(longitude: min(southWest.longitude, node.coordinate.longitude),
                                   latitude: min(southWest.latitude, node.coordinate.latitude))
            northEast = Coordinate(longitude: max(northEast.longitude, node.coordinate.longitude),
                                   latitude: max(northEast.latitude, node.coordinate.latitude))
        }
        nodes += part.nodes
        ways += part.ways
        relations += part.relations
        nodeCount += part.nodes.count
        wayCount += part.ways.count
        relationCount += part.relations.count
        try flush(all: false)
    }

    mutating func finish() throws {
        try flush(all: true)
        let header = OSMPBFEncoder.headerBlock(southWest: southWest, northEast: northEast)
        try pbf.finish(head: Data(try Self.fileBlock(type: "OSMHeader", payload: header)), tail: Data())
        if let xml {
            let bounds = nodeCount > 0 ? OSMXMLText.bounds(southWest: southWest, northEast: northEast) : ""
            try xml.finish(head: Data((OSMXMLText.header + bounds).utf8), tail: Data(OSMXMLText.footer.utf8))
        }
    }

    private mutating func flush(all: Bool) throws {
        let size = OSMPBFEncoder.elementsPerBlock
        func take<T>(_ items: inout [T]) -> [ArraySlice<T>] {
            var blocks: [ArraySlice<T>] = []
            var start = 0
            while items.count - start >= size || (all && start < items.count) {
                let end = min(start + size, items.count)
                blocks.append(items[start..<end])
                start = end
            }
            items.removeFirst(start)
            return blocks
        }
        try write(take(&nodes), section: 0, encode: OSMPBFEncoder.nodeBlock) { OSMXMLText.append($0, to: &$1) }
        try write(take(&ways), section: 1, encode: OSMPBFEncoder.wayBlock) { OSMXMLText.append($0, to: &$1) }
        try write(take(&relations), section: 2, encode: OSMPBFEncoder.relationBlock) { OSMXMLText.append($0, to: &$1) }
    }

    /// Writes blocks of one element type to their section of the PBF and, when asked, of the XML.
    private func write<Element>(_ blocks: [ArraySlice<Element>], section: Int, encode: (ArraySlice<Element>) throws -> [UInt8],
                                xmlText: (Element, inout String) -> Void) throws {
        for block in blocks {
            try pbf.append(try Self.fileBlock(type: "OSMData", payload: encode(block)), section: section)
            if let xml {
                var text = ""
                for element in block { xmlText(element, &text) }
                try xml.append(Data(text.utf8), section: section)
            }
        }
    }

    /// A file block with its payload deflated by the system zlib.
    static func fileBlock(type: String, payload: [UInt8]) throws -> Data {
        var capacity = compressBound(uLong(payload.count))
        var compressed = [UInt8](repeating: 0, count: Int(capacity))
        let status = payload.withUnsafeBufferPointer { source in
            compress2(&compressed, &capacity, source.baseAddress, uLong(payload.count), Z_DEFAULT_COMPRESSION)
        }
        guard status == Z_OK else { throw CityWriteError("zlib compress2 failed with code \(status)") }
        compressed.removeSubrange(Int(capacity)...)
        return Data(OSMPBFEncoder.fileBlock(type: type, payload: payload, zlibData: compressed))
    }
}

struct CityWriteError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A file written front to back through a temporary name, renamed into place when complete.
final class StreamedFile {
    let path: String
    private let temporary: String
    private let handle: FileHandle

    init(path: String) throws {
        self.path = path
        temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw CityWriteError("\(temporary): cannot create the file")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
    }

    func append(_ text: String) throws { try handle.write(contentsOf: Data(text.utf8)) }

    func finish() throws {
        try handle.close()
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }
}

/// A file made of a head known only at the end and sections streamed to temporary files beside it.
final class SectionedFile {
    let path: String
    private let sectionPaths: [String]
    private let handles: [FileHandle]

    init(path: String, sections: Int) throws {
        self.path = path
        sectionPaths = (0..<sections).map { "\(path).section\($0)" }
        var handles: [FileHandle] = []
        for sectionPath in sectionPaths {
            guard FileManager.default.createFile(atPath: sectionPath, contents: nil) else {
                throw CityWriteError("\(sectionPath): cannot create the file")
            }
            handles.append(try FileHandle(forWritingTo: URL(fileURLWithPath: sectionPath)))
        }
        self.handles = handles
    }

    func append(_ data: Data, section: Int) throws { try handles[section].write(contentsOf: data) }

    /// Writes head, sections and tail into the file and removes the sections.
    func finish(head: Data, tail: Data) throws {
        for handle in handles { try handle.close() }
        let file = try StreamedFile(path: path)
        try file.append(head)
        for sectionPath in sectionPaths {
            let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: sectionPath))
            while let chunk = try input.read(upToCount: 4 << 20), !chunk.isEmpty { try file.append(chunk) }
            try input.close()
            try FileManager.default.removeItem(atPath: sectionPath)
        }
        try file.append(tail)
        try file.finish()
    }
}

extension StreamedFile {
    func append(_ data: Data) throws { try handle.write(contentsOf: data) }
}
