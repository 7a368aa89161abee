import Foundation

/// Reading and writing GeoJSON (RFC 7946) for the geometry types in `Geometry`.
public enum GeoJSON {
    /// Parses a FeatureCollection; a lone Feature is accepted as a collection of one.
    /// Reports the first problem: JSON syntax (with line, column and byte offset), a wrong or missing
    /// top-level "type", missing "features", a "crs" other than CRS84 / EPSG:4326, unknown geometry types,
    /// GeometryCollection, malformed or non-finite positions, positions outside WGS84 (with hints for
    /// swapped axes and projected metres), unclosed or short rings and short line strings.
    /// `"geometry": null` is allowed and gives a nil `Feature.geometry`.
    public static func decodeFeatureCollection(_ data: Data) throws(GeoJSONError) -> [Feature] {
        let (root, sawNonFinite) = try parseJSON(data)
        guard case .object(let top) = root else {
            throw GeoJSONError(message: "GeoJSON must be a JSON object (a FeatureCollection), not \(kind(root))")
        }
        guard let typeValue = top["type"] else {
            throw GeoJSONError(message: "missing top-level \"type\" member; expected \"type\": \"FeatureCollection\"")
        }
        guard case .string(let type) = typeValue else {
            throw GeoJSONError(message: "top-level \"type\" must be a string, not \(kind(typeValue))")
        }
        try checkCRS(top["crs"], owner: "top-level")
        switch type {
        case "FeatureCollection":
            break
        case "Feature":
            let id = top["id"].flatMap(idText)
            do { return [try feature(top, sawNonFinite: sawNonFinite)] } catch {
                throw GeoJSONError(featureIndex: nil, featureID: id, message: error.message)
            }
        case _ where geometryTypes.contains(type) || type == "GeometryCollection":
            throw GeoJSONError(
                message: "top-level \"type\" is \"\(type)\", a bare geometry; expected \"FeatureCollection\" or \"Feature\"")
        default:
            throw GeoJSONError(message: "top-level \"type\" is \"\(type)\"; expected \"FeatureCollection\"\(caseHint(type, among: ["FeatureCollection", "Feature"]))")
        }
        guard let featuresValue = top["features"] else {
            throw GeoJSONError(message: "FeatureCollection has no \"features\" member")
        }
        guard case .array(let items) = featuresValue else {
            throw GeoJSONError(message: "\"features\" must be an array, not \(kind(featuresValue))")
        }
        var features: [Feature] = []
        features.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else {
                throw GeoJSONError(featureIndex: index, message: "expected a Feature object, got \(kind(item))")
            }
            do {
                features.append(try feature(object, sawNonFinite: sawNonFinite))
            } catch {
                throw GeoJSONError(featureIndex: index, featureID: object["id"].flatMap(idText), message: error.message)
            }
        }
        return features
    }

    /// Parses a bare geometry object with the same checks as `decodeFeatureCollection`.
    public static func decodeGeometry(_ data: Data) throws(GeoJSONError) -> Geometry {
        let (root, _) = try parseJSON(data)
        if case .object(let o) = root, case .string(let t) = o["type"], t == "Feature" || t == "FeatureCollection" {
            throw GeoJSONError(message: "expected a geometry object, got a \(t)")
        }
        guard let g = try geometry(root) else {
            throw GeoJSONError(message: "expected a geometry object, got null")
        }
        return g
    }

    // MARK: - Decoding internals

    static let geometryTypes: Set<String> = ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"]

    /// JSON text as a value, with the syntax errors `decodeFeatureCollection` reports, for readers that look at a
    /// document before decoding it (its "crs" member). `sawNonFinite`: NaN or Infinity literals occurred.
    public static func parseDocument(_ data: Data) throws(GeoJSONError) -> (value: JSONValue, sawNonFinite: Bool) {
        let (value, sawNonFinite) = try parseJSON(data)
        return (value, sawNonFinite)
    }

    private static func parseJSON(_ data: Data) throws(GeoJSONError) -> (JSONValue, Bool) {
        switch JSONParser.parse(data) {
        case .success(let r): return (r.value, r.sawNonFinite)
        case .failure(let e):
            // A fault inside a feature (a bad byte in a property, say) is reported as that feature's.
            if e.path.count >= 2, e.path[0] == .key("features"), case .index(let index) = e.path[1] {
                let within = e.path.dropFirst(2).map { component -> String in
                    switch component {
                    case .key(let key): key
                    case .index(let index): String(index)
                    }
                }
                let place = within.isEmpty ? "" : " (in \(within.joined(separator: ".")))"
                throw GeoJSONError(featureIndex: index, message: e.message + place)
            }
            throw GeoJSONError(message: e.message)
        }
    }

    static func kind(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private static func caseHint(_ name: String, among valid: [String]) -> String {
        if let match = valid.first(where: { $0.lowercased() == name.lowercased() }) {
            return " (did you mean \"\(match)\"? type names are case-sensitive)"
        }
        return ""
    }

    private static func idText(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): s
        case .number(let n): NumberText.plain(n)
        default: nil
        }
    }

    private static let acceptedCRSNames: Set<String> = [
        "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "epsg:4326", "urn:ogc:def:crs:epsg::4326",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84", "https://www.opengis.net/def/crs/ogc/1.3/crs84",
        "http://www.opengis.net/def/crs/epsg/0/4326", "urn:ogc:def:crs:epsg:6.6:4326", "crs84", "ogc:crs84",
    ]

    private static let wgs84Requirement =
        "GeoJSON must be WGS84 longitude/latitude (RFC 7946 §4: CRS84 / EPSG:4326); name the file's system on import with --crs CODE, or reproject first naming the source, e.g. ogr2ogr -s_srs EPSG:4527 -t_srs EPSG:4326 out.geojson in.geojson"

    /// The 2008 GeoJSON "crs" member is obsolete in RFC 7946; a harmless WGS84 one is tolerated, any other refused.
    private static func checkCRS(_ value: JSONValue?, owner: String) throws(GeoJSONError) {
        guard let value, value != .null else { return }
        var name: String?
        if case .object(let crs) = value, case .object(let props)? = crs["properties"] {
            switch crs["type"] {
            case .string("name"): if case .string(let n)? = props["name"] { name = n }
            case .string("EPSG"), .string("epsg"):
                if let code = props["code"]?.stringValue { name = "EPSG:\(code)" }
            case .string("link"):
                let href = props["href"]?.stringValue ?? "?"
                throw GeoJSONError(message: "\(owner) \"crs\" is a link to \"\(href)\"; \(wgs84Requirement)")
            default: break
            }
        }
        guard let name else {
            throw GeoJSONError(message: "\(owner) \"crs\" member is not a named CRS; \(wgs84Requirement)")
        }
        if !acceptedCRSNames.contains(name.trimmingSpaces().lowercased()) {
            throw GeoJSONError(message: "\(owner) \"crs\" is \"\(name)\", not WGS84; \(wgs84Requirement)")
        }
    }

    private static func feature(_ object: [String: JSONValue], sawNonFinite: Bool) throws(GeoJSONError) -> Feature {
        switch object["type"] {
        case .string("Feature")?: break
        case nil: throw GeoJSONError(message: "missing \"type\": \"Feature\"")
        case .string(let t)?: throw GeoJSONError(message: "\"type\" is \"\(t)\"; expected \"Feature\"\(caseHint(t, among: ["Feature"]))")
        case let v?: throw GeoJSONError(message: "\"type\" must be the string \"Feature\", not \(kind(v))")
        }
        try checkCRS(object["crs"], owner: "feature")
        var id: JSONValue? = nil
        switch object["id"] {
        case nil, .null?: break
        case .string?: id = object["id"]
        case .number(let n)?:
            guard n.isFinite else { throw GeoJSONError(message: "\"id\" is not a finite number") }
            id = object["id"]
        case let v?: throw GeoJSONError(message: "\"id\" must be a string or a number (RFC 7946 §3.2), not \(kind(v))")
        }
        guard let geometryValue = object["geometry"] else {
            throw GeoJSONError(message: "missing \"geometry\" member (write \"geometry\": null for a feature without geometry)")
        }
        let g = try geometry(geometryValue)
        var properties: [String: JSONValue] = [:]
        switch object["properties"] {
        case nil, .null?: break
        case .object(let p)?:
            if sawNonFinite {
                for (key, value) in p where !isFinite(value) {
                    throw GeoJSONError(message: "property \"\(key)\" contains a non-finite number (NaN or Infinity are not JSON)")
                }
            }
            properties = p
        case let v?: throw GeoJSONError(message: "\"properties\" must be an object or null, not \(kind(v))")
        }
        return Feature(id: id, geometry: g, properties: properties)
    }

    private static func isFinite(_ v: JSONValue) -> Bool {
        switch v {
        case .number(let n): n.isFinite
        case .array(let a): a.allSatisfy(isFinite)
        case .object(let o): o.values.allSatisfy(isFinite)
        default: true
        }
    }

    /// Nil for JSON null.
    static func geometry(_ value: JSONValue) throws(GeoJSONError) -> Geometry? {
        guard case .object(let object) = value else {
            if value == .null { return nil }
            throw GeoJSONError(message: "\"geometry\" must be an object or null, not \(kind(value))")
        }
        guard let typeValue = object["type"] else { throw GeoJSONError(message: "geometry has no \"type\" member") }
        guard case .string(let type) = typeValue else {
            throw GeoJSONError(message: "geometry \"type\" must be a string, not \(kind(typeValue))")
        }
        if type == "GeometryCollection" { throw GeoJSONError(message: "GeometryCollection is not supported") }
        guard geometryTypes.contains(type) else {
            throw GeoJSONError(message: "unknown geometry type \"\(type)\"\(caseHint(type, among: Array(geometryTypes) + ["GeometryCollection"]))")
        }
        try checkCRS(object["crs"], owner: "geometry")
        guard let coordinatesValue = object["coordinates"] else {
            throw GeoJSONError(message: "\(type) has no \"coordinates\" member")
        }
        guard case .array(let coordinates) = coordinatesValue else {
            throw GeoJSONError(message: "\(type) \"coordinates\" must be an array, not \(kind(coordinatesValue))")
        }
        switch type {
        case "Point":
            return .point(try position(coordinatesValue) { "position" })
        case "MultiPoint":
            var points: [Coordinate] = []
            points.reserveCapacity(coordinates.count)
            for (i, p) in coordinates.enumerated() { points.append(try position(p) { "position \(i)" }) }
            return .multiPoint(points)
        case "LineString":
            return .lineString(try lineString(coordinatesValue, name: "line string"))
        case "MultiLineString":
            var lines: [LineString] = []
            lines.reserveCapacity(coordinates.count)
            for (i, l) in coordinates.enumerated() { lines.append(try lineString(l, name: "line string \(i)")) }
            return .multiLineString(lines)
        case "Polygon":
            return .polygon(try polygon(coordinatesValue, name: "polygon"))
        default:
            var polygons: [Polygon] = []
            polygons.reserveCapacity(coordinates.count)
            for (i, p) in coordinates.enumerated() { polygons.append(try polygon(p, name: "polygon \(i)")) }
            return .multiPolygon(MultiPolygon(polygons))
        }
    }

    private static func positions(_ value: JSONValue, name: () -> String) throws(GeoJSONError) -> [Coordinate] {
        guard case .array(let items) = value else {
            throw GeoJSONError(message: "\(name()) must be an array of positions, not \(kind(value))")
        }
        var result: [Coordinate] = []
        result.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { result.append(try position(item) { "\(name()) position \(i)" }) }
        return result
    }

    private static func lineString(_ value: JSONValue, name: String) throws(GeoJSONError) -> LineString {
        let cs = try positions(value) { name }
        guard cs.count >= 2 else { throw GeoJSONError(message: "\(name) has fewer than 2 positions (\(cs.count))") }
        do { return try LineString(cs) } catch { throw GeoJSONError(message: "\(name): \(error.message)") }
    }

    private static func polygon(_ value: JSONValue, name: String) throws(GeoJSONError) -> Polygon {
        guard case .array(let ringValues) = value else {
            throw GeoJSONError(message: "\(name) must be an array of rings, not \(kind(value))")
        }
        guard !ringValues.isEmpty else { throw GeoJSONError(message: "\(name) has no rings") }
        var rings: [LinearRing] = []
        rings.reserveCapacity(ringValues.count)
        for (r, ringValue) in ringValues.enumerated() {
            let ringName = "\(name) ring \(r)"
            let cs = try positions(ringValue) { ringName }
            guard cs.count >= 4 else {
                throw GeoJSONError(message: "\(ringName) has fewer than 4 positions (\(cs.count)); a ring needs at least 4 with the first repeated at the end")
            }
            guard cs[0] == cs[cs.count - 1] else {
                throw GeoJSONError(
                    message: "\(ringName) is not closed (first position \(NumberText.position(cs[0])) ≠ last \(NumberText.position(cs[cs.count - 1])))")
            }
            rings.append(LinearRing(unchecked: cs))
        }
        return Polygon(exterior: rings[0], holes: Array(rings.dropFirst()))
    }

    private static func position(_ value: JSONValue, name: () -> String) throws(GeoJSONError) -> Coordinate {
        guard case .array(let items) = value else {
            throw GeoJSONError(message: "\(name()) is not a position: expected an array of 2 or 3 numbers, got \(kind(value))")
        }
        guard items.count == 2 || items.count == 3 else {
            throw GeoJSONError(message: "\(name()) has \(items.count) values; a position is 2 or 3 numbers [longitude, latitude(, altitude)]")
        }
        var numbers = (0.0, 0.0)
        for (k, item) in items.enumerated() {
            guard case .number(let n) = item else {
                throw GeoJSONError(message: "\(name()) value \(k) is \(kind(item)), not a number")
            }
            guard n.isFinite else {
                throw GeoJSONError(message: "\(name()) value \(k) is a non-finite number (\(n)); positions need finite numbers")
            }
            if k == 0 { numbers.0 = n } else if k == 1 { numbers.1 = n }  // altitude is ignored
        }
        let c = Coordinate(longitude: numbers.0, latitude: numbers.1)
        if abs(c.longitude) <= 180 && abs(c.latitude) <= 90 { return c }
        let text = NumberText.position(c)
        if abs(c.longitude) > 1000 || abs(c.latitude) > 1000 {
            throw GeoJSONError(
                message: "\(name()) \(text) is outside WGS84 range; values this large look like projected metres (e.g. EPSG:3857 or a CGCS2000 Gauss-Krüger zone), but \(wgs84Requirement)")
        }
        if abs(c.latitude) <= 180 && abs(c.longitude) <= 90 {
            throw GeoJSONError(
                message: "\(name()) \(text) is outside WGS84 range; it looks like [latitude, longitude]; GeoJSON positions are [longitude, latitude]")
        }
        throw GeoJSONError(message: "\(name()) \(text) is outside WGS84 range (longitude −180…180, latitude −90…90)")
    }

    // MARK: - Encoding

    /// Compact GeoJSON text. Polygons follow the RFC 7946 §3.1.6 right-hand rule; coordinates carry at most
    /// `precision` decimals (7 ≈ 1 cm), trailing zeros trimmed, never in exponent notation.
    public static func encode(_ geometry: Geometry, precision: Int = 7) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        appendGeometry(geometry, precision: precision, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// One Feature object as text. Properties keep the given order; "id" is left out when nil.
    public static func encodeFeature(
        id: JSONValue?, geometry: Geometry?, properties: [(String, JSONValue)], precision: Int = 7
    ) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        appendFeature(id: id, geometry: geometry, properties: properties, precision: precision, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A whole FeatureCollection; properties of each feature in key order so output is stable.
    public static func encodeFeatureCollection(_ features: [Feature], precision: Int = 7) -> String {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"type":"FeatureCollection","features":["#.utf8)
        for (i, f) in features.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let properties = f.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            appendFeature(id: f.id, geometry: f.geometry, properties: properties, precision: precision, to: &out)
        }
        out.append(contentsOf: "]}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// JSON text for any value: objects with keys sorted, strings escaped per RFC 8259 §7,
    /// non-finite numbers as null.
    public static func encode(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        appendJSON(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A coordinate value as `encode` writes it: at most `precision` decimals, no exponent, no "-0".
    public static func formatCoordinate(_ value: Double, precision: Int = 7) -> String {
        NumberText.fixed(value, precision: precision)
    }

    public static func appendFeature(
        id: JSONValue?, geometry: Geometry?, properties: [(String, JSONValue)], precision: Int, to out: inout [UInt8]
    ) {
        out.append(contentsOf: #"{"type":"Feature","#.utf8)
        if let id {
            out.append(contentsOf: #""id":"#.utf8)
            appendJSON(id, to: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: #""geometry":"#.utf8)
        if let geometry { appendGeometry(geometry, precision: precision, to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","properties":{"#.utf8)
        for (i, (key, value)) in properties.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendJSON(value, to: &out)
        }
        out.append(contentsOf: "}}".utf8)
    }

    public static func appendGeometry(_ geometry: Geometry, precision: Int, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"type":""#.utf8)
        out.append(contentsOf: geometry.typeName.utf8)
        out.append(contentsOf: #"","coordinates":"#.utf8)
        func position(_ c: Coordinate) {
            out.append(UInt8(ascii: "["))
            NumberText.appendFixed(c.longitude, precision: precision, to: &out)
            out.append(UInt8(ascii: ","))
            NumberText.appendFixed(c.latitude, precision: precision, to: &out)
            out.append(UInt8(ascii: "]"))
        }
        func list(_ cs: [Coordinate]) {
            out.append(UInt8(ascii: "["))
            for (i, c) in cs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                position(c)
            }
            out.append(UInt8(ascii: "]"))
        }
        func polygon(_ p: Polygon) {
            let oriented = p.orientedRFC7946()
            out.append(UInt8(ascii: "["))
            list(oriented.exterior.coordinates)
            for h in oriented.holes {
                out.append(UInt8(ascii: ","))
                list(h.coordinates)
            }
            out.append(UInt8(ascii: "]"))
        }
        func many<T>(_ items: [T], _ each: (T) -> Void) {
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                each(item)
            }
            out.append(UInt8(ascii: "]"))
        }
        switch geometry {
        case .point(let c): position(c)
        case .multiPoint(let cs): list(cs)
        case .lineString(let l): list(l.coordinates)
        case .multiLineString(let ls): many(ls) { list($0.coordinates) }
        case .polygon(let p): polygon(p)
        case .multiPolygon(let m): many(m.polygons, polygon)
        }
        out.append(UInt8(ascii: "}"))
    }

    public static func appendJSON(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): NumberText.appendShortest(n, to: &out)
        case .string(let s): appendString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendJSON(v, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendJSON(o[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// RFC 8259 §7: quote, backslash and control characters escaped; everything else as UTF-8.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
