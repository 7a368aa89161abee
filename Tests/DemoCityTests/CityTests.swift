import Testing
import DemoCity
import GridModel

/// A city of a few districts, generated part by part as the `demo --buildings` command writes it.
private func parts(buildings: Int, seed: UInt64) -> (City, [City.Part]) {
    let city = City(buildings: buildings, seed: seed)
    var parts: [City.Part] = []
    city.forEachDistrict { parts.append($0) }
    return (city, parts)
}

@Suite struct GeneratedCityTests {
    @Test("a city has about the asked number of buildings, in districts laid out near-square")
    func sizeFollowsTheAskedBuildings() {
        let (city, all) = parts(buildings: 3_000, seed: 7)
        let buildings = all.reduce(0) { $0 + $1.buildingCount }
        #expect(all.count == city.districtCount)
        #expect(city.districtCount >= 3 && city.districtCount <= 5)
        #expect(abs(buildings - 3_000) < 3_000 / 4, "\(buildings) buildings")
        #expect(City(buildings: 1_000_000, seed: 7).districtCount > 1_000)
    }

    @Test("ids continue from district to district and every reference resolves inside the city")
    func idsAreCityWide() {
        let (_, all) = parts(buildings: 3_000, seed: 7)
        let nodes = all.flatMap(\.nodes), ways = all.flatMap(\.ways), relations = all.flatMap(\.relations)
        #expect(zip(nodes, nodes.dropFirst()).allSatisfy { $1.id == $0.id + 1 })
        #expect(zip(ways, ways.dropFirst()).allSatisfy { $1.id == $0.id + 1 })
        #expect(zip(relations, relations.dropFirst()).allSatisfy { $1.id > $0.id })
        let firstNode = nodes[0].id
        for way in ways {
            #expect(way.nodeIDs.allSatisfy { $0 >= firstNode && $0 < firstNode + Int64(nodes.count) })
        }
        let wayIDs = Set(ways.map(\.id))
        for relation in relations {
            for member in relation.members where member.type == .way { #expect(wayIDs.contains(member.ref)) }
        }
        let buildingWays = Set(ways.filter { tagValue($0.tags, "building") != nil }.map(\.id))
        for row in all.flatMap(\.register) { #expect(buildingWays.contains(row.buildingWayID)) }
    }

    @Test("the walking network is one connected piece: districts are joined by footways")
    func walkingNetworkIsConnected() {
        let (_, all) = parts(buildings: 4_000, seed: 3)
        #expect(all.reduce(0) { $0 + $1.joiningWays } >= 2 * (all.count - 1))
        let nodes = all.flatMap(\.nodes)
        let first = nodes[0].id
        var parent = Array(0..<nodes.count)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        var walkable = Set<Int>()
        for way in all.flatMap(\.ways) where District.isWalkable(tags: way.tags) {
            let indices = way.nodeIDs.map { Int($0 - first) }
            walkable.formUnion(indices)
            for (a, b) in zip(indices, indices.dropFirst()) { parent[root(a)] = root(b) }
        }
        let pieces = Set(walkable.map(root))
        #expect(pieces.count == 1, "\(pieces.count) pieces")
    }

    @Test("community and grid codes are unique city-wide and grids sit in their community")
    func codesAreCityWide() {
        let (_, all) = parts(buildings: 4_000, seed: 3)
        let communities = all.flatMap(\.communities), grids = all.flatMap(\.grids)
        #expect(Set(communities.map(\.code)).count == communities.count)
        #expect(Set(grids.map(\.code)).count == grids.count)
        let codes = Set(communities.map(\.code))
        for community in communities {
            #expect(community.code == community.adminCode + community.streetCode + community.communityCode)
            #expect(community.code.count == 12)
        }
        for grid in grids {
            #expect(codes.contains(grid.communityCode))
            #expect(grid.code.hasPrefix(grid.communityCode) && grid.code.count == 15)
        }
    }

    @Test("the same seed gives the same city; another seed another")
    func deterministicBySeed() {
        func text(_ all: [City.Part]) -> String {
            var out = ""
            for part in all {
                for node in part.nodes { OSMXMLText.append(node, to: &out) }
                for way in part.ways { OSMXMLText.append(way, to: &out) }
                for relation in part.relations { OSMXMLText.append(relation, to: &out) }
                for community in part.communities { out += DemoText.feature(community) }
                for grid in part.grids { out += DemoText.feature(grid) }
                for row in part.register { out += DemoText.registerLine(row) }
            }
            return out
        }
        let a = text(parts(buildings: 2_000, seed: 11).1)
        #expect(a == text(parts(buildings: 2_000, seed: 11).1))
        #expect(a != text(parts(buildings: 2_000, seed: 12).1))
    }

    @Test("PBF blocks: the header names the features, dense nodes and ways encode as the format says")
    func pbfEncoding() {
        let header = OSMPBFEncoder.headerBlock(southWest: Coordinate(longitude: 116, latitude: 39.9),
                                               northEast: Coordinate(longitude: 116.1, latitude: 40))
        let headerText = String(decoding: header, as: UTF8.self)
        #expect(headerText.contains("OsmSchema-V0.6") && headerText.contains("DenseNodes"))
        // One untagged node: block { stringtable { s: "" }, group { dense { id, lat, lon } } }.
        let node = District.Node(id: 1, coordinate: Coordinate(longitude: 0.0000002, latitude: -0.0000001))
        let block = OSMPBFEncoder.nodeBlock([node][...])
        #expect(block == [0x0A, 0x02, 0x0A, 0x00, 0x12, 0x0B, 0x12, 0x09, 0x0A, 0x01, 0x02, 0x42, 0x01, 0x01, 0x4A, 0x01, 0x04])
        // File block framing: 4-byte big-endian header length, then a BlobHeader whose datasize is the Blob's size.
        let framed = OSMPBFEncoder.fileBlock(type: "OSMData", payload: block, zlibData: nil)
        let headerSize = Int(framed[3])
        #expect(framed[0...2] == [0, 0, 0])
        #expect(framed.count == 4 + headerSize + 2 + block.count)
    }
}
