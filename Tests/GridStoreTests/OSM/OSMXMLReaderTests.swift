import Foundation
import GridStore
import Testing

@Suite("OSM XML reader")
struct OSMXMLReaderTests {
    static func same(_ actual: OSMData, _ expected: OSMData) {
        #expect(actual.nodeCount == expected.nodeCount)
        #expect(actual.duplicateNodeCount == expected.duplicateNodeCount)
        #expect(actual.nodeIDs == expected.nodeIDs)
        #expect(actual.longitudes == expected.longitudes)
        #expect(actual.latitudes == expected.latitudes)
        #expect(actual.taggedNodes.count == expected.taggedNodes.count)
        #expect(zip(actual.taggedNodes, expected.taggedNodes).allSatisfy { $0.id == $1.id && $0.tags == $1.tags })
        #expect(actual.ways.count == expected.ways.count)
        #expect(zip(actual.ways, expected.ways).allSatisfy { $0.id == $1.id && $0.nodeIDs == $1.nodeIDs && $0.tags == $1.tags })
        #expect(actual.relations.count == expected.relations.count)
        #expect(zip(actual.relations, expected.relations).allSatisfy { a, b in
            a.id == b.id && a.tags == b.tags && a.members.count == b.members.count
                && zip(a.members, b.members).allSatisfy { $0.kind == $1.kind && $0.ref == $1.ref && $0.role == $1.role }
        })
    }

    @Test("the demo district: the same OSMData as libreadosm")
    func demoMatchesLibreadosm() throws {
        let path = SharedData.repository.appendingPathComponent("GeoData/demo-district.osm").path
        Self.same(try OSMReader.read(path: path), try OSMReader.read(path: path, libreadosm: true))
    }

    @Test("real XML extracts: the same OSMData as libreadosm", .enabled(if: SharedData.available, SharedData.skipReason),
          arguments: ["cn_beijing_haidian_wudaokou_2017.osm", "cn_shenzhen_longgang_2019.osm"])
    func realMatchesLibreadosm(_ file: String) throws {
        let path = SharedData.path(file)
        Self.same(try OSMReader.read(path: path), try OSMReader.read(path: path, libreadosm: true))
    }

    static func refused(_ body: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let temporary = try TemporaryStore()
        let text = "<?xml version=\"1.0\"?>\n<osm version=\"0.6\">\n\(body)\n</osm>\n"
        let path = try temporary.file("bad.osm", text)
        #expect(sourceLocation: sourceLocation) {
            _ = try OSMReader.read(path: path)
        } throws: { error in
            guard let error = error as? StoreError, error.isUserError else { return false }
            return error.description.contains(path) && words.allSatisfy { error.description.contains($0) }
        }
    }

    @Test("attributes libreadosm takes on trust are refused with their line")
    func refusals() throws {
        try Self.refused(#"<node id="1" lat="1" lon="2"><tag v="x"/></node>"#, mentioning: ["line 3", "<tag> of node 1 has no k"])
        try Self.refused(#"<node id="1" lon="2"/>"#, mentioning: ["line 3", "node 1 has no lat"])
        try Self.refused(#"<node id="1" lat="-91" lon="2"/>"#, mentioning: ["line 3", "node 1", "lat=\"-91\""])
        try Self.refused(#"<node id="x1" lat="1" lon="2"/>"#, mentioning: ["line 3", "id=\"x1\" is not a 64-bit integer"])
        try Self.refused(#"<node id="99999999999999999999" lat="1" lon="2"/>"#, mentioning: ["line 3", "not a 64-bit integer"])
        try Self.refused("<way id=\"1\">\n<nd ref=\"\"/></way>", mentioning: ["line 4", "nd of way 1"])
        try Self.refused(#"<relation id="5"><member type="area" ref="1" role=""/></relation>"#, mentioning: ["line 3", "relation 5", "type=\"area\""])
        try Self.refused(#"<way id="1"><node id="2" lat="1" lon="1"/></way>"#, mentioning: ["line 3", "<node> inside <way>"])
    }

    @Test("gzip-compressed XML is read as it is decompressed; a missing role is empty")
    func gzip() throws {
        let temporary = try TemporaryStore()
        let text = """
            <?xml version="1.0"?>
            <osm version="0.6">
              <node id="1" lat="39.9" lon="116.4"><tag k="amenity" v="clinic"/></node>
              <relation id="7"><member type="node" ref="1"/><tag k="type" v="site"/></relation>
            </osm>
            """
        let plain = try temporary.file("a.osm", text)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-k", plain]
        try Processes.launch(process)
        process.waitUntilExit()
        let data = try OSMReader.read(path: plain + ".gz")
        #expect(data.nodeCount == 1 && data.taggedNodes.first?.tags["amenity"] == "clinic")
        #expect(data.relations.first?.members.first?.role == "")
    }
}
