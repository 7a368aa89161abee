import GridModel

extension District {
    /// OSM XML 0.6, elements in id order within each type.
    public func osmXML() -> String {
        var out = ""
        out.reserveCapacity(nodes.count * 80 + ways.count * 160 + 4096)
        out += OSMXMLText.header
        var minLat = Double.infinity, minLon = Double.infinity
        var maxLat = -Double.infinity, maxLon = -Double.infinity
        for node in nodes {
            minLat = min(minLat, node.coordinate.latitude)
            maxLat = max(maxLat, node.coordinate.latitude)
            minLon = min(minLon, node.coordinate.longitude)
            maxLon = max(maxLon, node.coordinate.longitude)
        }
        if !nodes.isEmpty {
            out += OSMXMLText.bounds(southWest: Coordinate(longitude: minLon, latitude: minLat),
                                     northEast: Coordinate(longitude: maxLon, latitude: maxLat))
        }
        for node in nodes { OSMXMLText.append(node, to: &out) }
        for way in ways { OSMXMLText.append(way, to: &out) }
        for relation in relations { OSMXMLText.append(relation, to: &out) }
        out += OSMXMLText.footer
        return out
    }

    /// Properties: code, name, admin_code, street_code, community_code.
    public func communitiesGeoJSON() -> String {
        featureCollection(communities.map { c in (DemoText.properties(of: c), DemoText.communityKeys, c.ring) })
    }

    /// Properties: code, name, community (12-digit code).
    public func gridsGeoJSON() -> String {
        featureCollection(grids.map { g in (DemoText.properties(of: g), DemoText.gridKeys, g.ring) })
    }

    /// `building_id,unit,floor,households`, building ids written as OSM-style `w<wayID>`.
    public func registerCSV() -> String {
        var out = DemoText.registerHeader
        out.reserveCapacity(register.count * 24 + 40)
        for row in register { out += DemoText.registerLine(row) }
        return out
    }

    private func featureCollection(_ features: [(values: [String: String], keys: [String], ring: [Coordinate])]) -> String {
        var out = DemoText.featureCollectionHeader
        for (k, feature) in features.enumerated() {
            out += k == 0 ? "\n" : ",\n"
            out += DemoText.feature(feature.values, keys: feature.keys, ring: feature.ring)
        }
        out += DemoText.featureCollectionFooter
        return out
    }

}

/// OSM XML 0.6 text of single elements, shared by the district's file and the city's streamed one.
public enum OSMXMLText {
    public static let header = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"CommunityGrid demo\">\n"
    public static let footer = "</osm>\n"

    public static func bounds(southWest: Coordinate, northEast: Coordinate) -> String {
        "  <bounds minlat=\"\(fixed7(southWest.latitude))\" minlon=\"\(fixed7(southWest.longitude))\" maxlat=\"\(fixed7(northEast.latitude))\" maxlon=\"\(fixed7(northEast.longitude))\"/>\n"
    }

    public static func append(_ node: District.Node, to out: inout String) {
        out += "  <node id=\"\(node.id)\" version=\"1\" lat=\"\(fixed7(node.coordinate.latitude))\" lon=\"\(fixed7(node.coordinate.longitude))\""
        if node.tags.isEmpty {
            out += "/>\n"
        } else {
            out += ">\n"
            appendTags(node.tags, to: &out)
            out += "  </node>\n"
        }
    }

    public static func append(_ way: District.Way, to out: inout String) {
        out += "  <way id=\"\(way.id)\" version=\"1\">\n"
        for ref in way.nodeIDs { out += "    <nd ref=\"\(ref)\"/>\n" }
        appendTags(way.tags, to: &out)
        out += "  </way>\n"
    }

    public static func append(_ relation: District.Relation, to out: inout String) {
        out += "  <relation id=\"\(relation.id)\" version=\"1\">\n"
        for member in relation.members {
            out += "    <member type=\"\(member.type.rawValue)\" ref=\"\(member.ref)\" role=\"\(xmlEscaped(member.role))\"/>\n"
        }
        appendTags(relation.tags, to: &out)
        out += "  </relation>\n"
    }

    private static func appendTags(_ tags: [(String, String)], to out: inout String) {
        for (k, v) in tags { out += "    <tag k=\"\(xmlEscaped(k))\" v=\"\(xmlEscaped(v))\"/>\n" }
    }
}

/// GeoJSON layers and register CSV text piece by piece, shared by the district's files and the city's streamed ones.
public enum DemoText {
    public static let featureCollectionHeader = "{\"type\":\"FeatureCollection\",\"features\":["
    public static let featureCollectionFooter = "\n]}\n"
    public static let registerHeader = "building_id,unit,floor,households\n"
    static let communityKeys = ["code", "name", "admin_code", "street_code", "community_code"]
    static let gridKeys = ["code", "name", "community"]

    static func properties(of c: District.Community) -> [String: String] {
        ["code": c.code, "name": c.name, "admin_code": c.adminCode, "street_code": c.streetCode, "community_code": c.communityCode]
    }

    static func properties(of g: District.Grid) -> [String: String] {
        ["code": g.code, "name": g.name, "community": g.communityCode]
    }

    /// One Feature object, without the separator before it.
    public static func feature(_ community: District.Community) -> String {
        feature(properties(of: community), keys: communityKeys, ring: community.ring)
    }

    public static func feature(_ grid: District.Grid) -> String {
        feature(properties(of: grid), keys: gridKeys, ring: grid.ring)
    }

    /// `w<wayID>,unit,floor,households` and a newline.
    public static func registerLine(_ row: District.RegisterRow) -> String {
        "w\(row.buildingWayID),\(csvField(row.unit)),\(row.floor),\(row.households)\n"
    }

    static func feature(_ values: [String: String], keys: [String], ring: [Coordinate]) -> String {
        var out = "{\"type\":\"Feature\",\"properties\":{"
        for (n, key) in keys.enumerated() {
            if n > 0 { out += "," }
            out += "\"\(key)\":\"\(jsonEscaped(values[key] ?? ""))\""
        }
        out += "},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[["
        for (n, point) in ring.enumerated() {
            if n > 0 { out += "," }
            out += "[\(fixed7(point.longitude)),\(fixed7(point.latitude))]"
        }
        out += "]]}}"
        return out
    }
}

/// Seven decimals without going through printf, so output is identical on every platform.
func fixed7(_ value: Double) -> String {
    let scaled = Int64((value * 1e7).rounded())
    let magnitude = scaled.magnitude
    let whole = String(magnitude / 10_000_000)
    let fraction = String(magnitude % 10_000_000)
    return (scaled < 0 ? "-" : "") + whole + "." + String(repeating: "0", count: 7 - fraction.count) + fraction
}

func xmlEscaped(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return s }
    var out = ""
    for ch in s {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(ch)
        }
    }
    return out
}

func jsonEscaped(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return s }
    var out = ""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

func csvField(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
    var out = "\""
    for ch in s { out += ch == "\"" ? "\"\"" : String(ch) }
    return out + "\""
}
