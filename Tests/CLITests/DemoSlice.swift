import Foundation
import GridStore

/// A slice of the demo district (every 12th way, the relations, the nodes they use and some tagged nodes),
/// written as OSM XML and as a PBF with uncompressed blobs: small enough to import hundreds of times.
enum DemoSlice {
    struct Node { var id: Int64; var longitude: Double; var latitude: Double; var tags: OSMTags }

    static let content: (nodes: [Node], ways: [OSMWay], relations: [OSMRelation]) = {
        let path = DemoStore.data.appendingPathComponent("demo-district.osm").path
        guard let data = try? OSMReader.read(path: path) else { return ([], [], []) }
        let wayByID = Dictionary(data.ways.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var ways = data.ways.enumerated().filter { $0.offset % 12 == 0 }.map(\.element)
        var chosen = Set(ways.map(\.id))
        for relation in data.relations {
            for member in relation.members where member.kind == .way && !chosen.contains(member.ref) {
                if let way = wayByID[member.ref] { ways.append(way); chosen.insert(way.id) }
            }
        }
        let tags = Dictionary(data.taggedNodes.map { ($0.id, $0.tags) }, uniquingKeysWith: { first, _ in first })
        var nodeIDs = Set(ways.flatMap(\.nodeIDs))
        for (position, node) in data.taggedNodes.enumerated() where position % 10 == 0 { nodeIDs.insert(node.id) }
        let nodes = nodeIDs.sorted().compactMap { id -> Node? in
            guard let index = data.index(ofNode: id) else { return nil }
            return Node(id: id, longitude: data.longitudes[Int(index)], latitude: data.latitudes[Int(index)], tags: tags[id] ?? OSMTags())
        }
        return (nodes, ways.sorted { $0.id < $1.id }, data.relations)
    }()

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let xml: String = {
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#, #"<osm version="0.6" generator="CommunityGrid tests">"#]
        func tagLines(_ tags: OSMTags) -> [String] {
            tags.pairs.map { #"    <tag k="\#(escaped($0.key))" v="\#(escaped($0.value))"/>"# }
        }
        for node in content.nodes {
            let head = #"  <node id="\#(node.id)" lat="\#(String(format: "%.7f", node.latitude))" lon="\#(String(format: "%.7f", node.longitude))""#
            if node.tags.isEmpty { lines.append(head + "/>") } else { lines += [head + ">"] + tagLines(node.tags) + ["  </node>"] }
        }
        for way in content.ways {
            lines.append(#"  <way id="\#(way.id)">"#)
            lines += way.nodeIDs.map { #"    <nd ref="\#($0)"/>"# } + tagLines(way.tags) + ["  </way>"]
        }
        for relation in content.relations {
            lines.append(#"  <relation id="\#(relation.id)">"#)
            for member in relation.members {
                let type = switch member.kind { case .node: "node"; case .way: "way"; case .relation: "relation" }
                lines.append(#"    <member type="\#(type)" ref="\#(member.ref)" role="\#(escaped(member.role))"/>"#)
            }
            lines += tagLines(relation.tags) + ["  </relation>"]
        }
        return (lines + ["</osm>", ""]).joined(separator: "\n")
    }()

    /// OSMHeader and one OSMData block (dense nodes, ways, relations), both raw, granularity 100.
    static let pbf: [UInt8] = {
        var strings = [""]
        var index: [String: UInt64] = ["": 0]
        func string(_ text: String) -> UInt64 {
            if let known = index[text] { return known }
            strings.append(text)
            index[text] = UInt64(strings.count - 1)
            return UInt64(strings.count - 1)
        }
        var dense = ProtoWriter()
        dense.packedDeltas(1, content.nodes.map(\.id))
        dense.packedDeltas(8, content.nodes.map { Int64(($0.latitude * 1e7).rounded()) })
        dense.packedDeltas(9, content.nodes.map { Int64(($0.longitude * 1e7).rounded()) })
        dense.packed(10, content.nodes.flatMap { node in node.tags.pairs.flatMap { [string($0.key), string($0.value)] } + [0] })
        var nodeGroup = ProtoWriter()
        nodeGroup.bytes(2, dense.bytes)
        var wayGroup = ProtoWriter()
        for way in content.ways {
            wayGroup.message(3) { message in
                message.uint(1, UInt64(way.id))
                message.packed(2, way.tags.pairs.map { string($0.key) })
                message.packed(3, way.tags.pairs.map { string($0.value) })
                message.packedDeltas(8, way.nodeIDs)
            }
        }
        var relationGroup = ProtoWriter()
        for relation in content.relations {
            relationGroup.message(4) { message in
                message.uint(1, UInt64(relation.id))
                message.packed(2, relation.tags.pairs.map { string($0.key) })
                message.packed(3, relation.tags.pairs.map { string($0.value) })
                message.packed(8, relation.members.map { string($0.role) })
                message.packedDeltas(9, relation.members.map(\.ref))
                message.packed(10, relation.members.map { switch $0.kind { case .node: 0; case .way: 1; case .relation: 2 } })
            }
        }
        var block = ProtoWriter()
        block.message(1) { table in for text in strings { table.string(1, text) } }
        block.bytes(2, nodeGroup.bytes)
        block.bytes(2, wayGroup.bytes)
        block.bytes(2, relationGroup.bytes)
        var header = ProtoWriter()
        header.string(4, "OsmSchema-V0.6")
        header.string(4, "DenseNodes")
        return ProtoWriter.fileBlock("OSMHeader", blob: ProtoWriter.rawBlob(header.bytes))
            + ProtoWriter.fileBlock("OSMData", blob: ProtoWriter.rawBlob(block.bytes))
    }()
}
