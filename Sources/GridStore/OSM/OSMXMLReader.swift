import CReadOSM
import Foundation

/// Reads OSM XML, plain or gzip-compressed (zlib reads plain files through unchanged), with expat.
///
/// Unlike libreadosm, which takes attributes on trust (a `<tag>` without `v` crashes it, a missing `lat`
/// becomes a made-up number), every object is checked as it is read: ids and refs are 64-bit integers,
/// a node's position is finite and inside WGS84, a tag has `k` and `v`, a member has a known type.
/// Errors name the file, the line and the object. Elements an import does not need are skipped.
enum OSMXMLReader {
    static func read(path: String, progress: OSMReader.Progress?) throws -> OSMData {
        guard let input = gzopen(path, "rb") else { throw StoreError.badInput("\(path): file not found or not readable") }
        defer { gzclose(input) }
        guard let parser = XML_ParserCreate(nil) else { throw StoreError.environment("cannot create an XML parser (out of memory)") }
        defer { XML_ParserFree(parser) }
        let state = OSMXMLState(parser: parser, progress: progress)
        XML_SetUserData(parser, Unmanaged.passUnretained(state).toOpaque())
        XML_SetElementHandler(parser, { user, name, attributes in
            guard let user, let name else { return }
            Unmanaged<OSMXMLState>.fromOpaque(user).takeUnretainedValue().start(name, attributes)
        }, { user, name in
            guard let user, let name else { return }
            Unmanaged<OSMXMLState>.fromOpaque(user).takeUnretainedValue().end(name)
        })
        let chunk: Int32 = 1 << 20
        while true {
            guard let buffer = XML_GetBuffer(parser, chunk) else {
                throw StoreError.environment("\(path): out of memory while reading the XML")
            }
            let count = gzread(input, buffer, UInt32(chunk))
            if count < 0 { throw corruptGzip(input, path) }
            if count == 0 {
                // zlib reports a cut or damaged stream only here, after the last read.
                var code: Int32 = 0
                _ = gzerror(input, &code)
                if code != Z_OK && code != Z_STREAM_END { throw corruptGzip(input, path) }
            }
            let isFinal: Int32 = count == 0 ? 1 : 0
            if XML_ParseBuffer(parser, count, isFinal) == XML_STATUS_ERROR {
                // Damaged gzip data inflates to garbage before zlib notices: blame the stream when it is broken.
                if gzdirect(input) == 0, let damaged = damagedGzip(input, path) { throw damaged }
                if let problem = state.problem { throw StoreError.badInput("\(path): \(problem); nothing was imported") }
                let reason = XML_ErrorString(XML_GetErrorCode(parser)).map { String(cString: $0) } ?? "parse error"
                throw StoreError.badInput(
                    "\(path): malformed OSM XML at line \(XML_GetCurrentLineNumber(parser)), column \(XML_GetCurrentColumnNumber(parser) + 1): \(reason); nothing was imported")
            }
            if isFinal == 1 { break }
        }
        if state.data.nodesBeyondLimit > 0 {
            throw StoreError.badInput("\(path): more than \(Int32.max) nodes, more than one import can hold; split the extract; nothing was imported")
        }
        return state.data
    }

    /// Reads the rest of a compressed stream; the gzip error when it ends badly.
    private static func damagedGzip(_ input: gzFile, _ path: String) -> StoreError? {
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = scratch.withUnsafeMutableBytes { gzread(input, $0.baseAddress, UInt32($0.count)) }
            if count < 0 { return corruptGzip(input, path) }
            if count == 0 { break }
        }
        var code: Int32 = 0
        _ = gzerror(input, &code)
        return code != Z_OK && code != Z_STREAM_END ? corruptGzip(input, path) : nil
    }

    private static func corruptGzip(_ input: gzFile, _ path: String) -> StoreError {
        var code: Int32 = 0
        let message = gzerror(input, &code).map { String(cString: $0) } ?? "error \(code)"
        return StoreError.badInput("\(path): corrupt gzip data (\(message)); nothing was imported")
    }
}

/// Receives expat's callbacks on the reading thread; only `OSMXMLReader.read` touches it.
private final class OSMXMLState {
    private enum Object {
        case none
        case node(id: Int64, longitude: Double, latitude: Double)
        case way(id: Int64)
        case relation(id: Int64)

        var name: String {
            switch self {
            case .none: ""
            case .node: "node"
            case .way: "way"
            case .relation: "relation"
            }
        }
    }

    let parser: XML_Parser
    let progress: OSMReader.Progress?
    var data = OSMData()
    /// The first problem found; parsing stops there.
    private(set) var problem: String?
    private var object = Object.none
    private var tags: [(key: String, value: String)] = []
    private var refs: [Int64] = []
    private var members: [OSMMember] = []
    private var sinceProgress = 0

    init(parser: XML_Parser, progress: OSMReader.Progress?) {
        self.parser = parser
        self.progress = progress
        data.reserveNodes(1 << 16)
    }

    private var line: UInt { UInt(XML_GetCurrentLineNumber(parser)) }

    private func fail(_ message: String) {
        guard problem == nil else { return }
        problem = "line \(line): \(message)"
        XML_StopParser(parser, XML_Bool(0))
    }

    private static func attributes(_ list: UnsafeMutablePointer<UnsafePointer<XML_Char>?>?) -> [String: String] {
        var result: [String: String] = [:]
        guard let list else { return result }
        var index = 0
        while let name = list[index], let value = list[index + 1] {
            result[String(cString: name)] = String(cString: value)
            index += 2
        }
        return result
    }

    private func integer(_ attributes: [String: String], _ key: String, of element: String) -> Int64? {
        guard let text = attributes[key] else {
            fail("<\(element)> has no \(key) attribute")
            return nil
        }
        guard let value = Int64(text.trimmingCharacters(in: .whitespaces)) else {
            fail("<\(element)> \(key)=\"\(text.prefix(40))\" is not a 64-bit integer")
            return nil
        }
        return value
    }

    /// A coordinate in degrees, finite and within `limit`.
    private func degrees(_ attributes: [String: String], _ key: String, limit: Int, node id: Int64) -> Double? {
        guard let text = attributes[key] else {
            fail("node \(id) has no \(key) attribute")
            return nil
        }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, abs(value) <= Double(limit) else {
            let axis = key == "lon" ? "longitude" : "latitude"
            fail("node \(id): \(key)=\"\(text.prefix(40))\" is not a \(axis) within −\(limit)…\(limit) degrees")
            return nil
        }
        return value
    }

    func start(_ name: UnsafePointer<XML_Char>, _ list: UnsafeMutablePointer<UnsafePointer<XML_Char>?>?) {
        guard problem == nil else { return }
        let element = String(cString: name)
        switch element {
        case "node", "way", "relation":
            if case .none = object {} else {
                fail("<\(element)> inside <\(object.name)>; OSM objects do not nest")
                return
            }
            let attributes = Self.attributes(list)
            guard let id = integer(attributes, "id", of: element) else { return }
            switch element {
            case "node":
                guard let longitude = degrees(attributes, "lon", limit: 180, node: id),
                      let latitude = degrees(attributes, "lat", limit: 90, node: id)
                else { return }
                object = .node(id: id, longitude: longitude, latitude: latitude)
            case "way": object = .way(id: id)
            default: object = .relation(id: id)
            }
        case "tag":
            // Tags of changesets and other elements carry nothing an import needs.
            if case .none = object { return }
            let attributes = Self.attributes(list)
            guard let key = attributes["k"], let value = attributes["v"] else {
                fail("<tag> of \(object.name) \(objectID) has no \(attributes["k"] == nil ? "k" : "v") attribute")
                return
            }
            tags.append((key, value))
        case "nd":
            guard case .way(let id) = object else {
                if case .none = object { return }
                fail("<nd> inside <\(object.name)>; only ways have node references")
                return
            }
            guard let ref = integer(Self.attributes(list), "ref", of: "nd of way \(id)") else { return }
            refs.append(ref)
        case "member":
            guard case .relation(let id) = object else {
                if case .none = object { return }
                fail("<member> inside <\(object.name)>; only relations have members")
                return
            }
            let attributes = Self.attributes(list)
            guard let ref = integer(attributes, "ref", of: "member of relation \(id)") else { return }
            let kind: OSMMember.Kind
            switch attributes["type"] {
            case "node": kind = .node
            case "way": kind = .way
            case "relation": kind = .relation
            case let other:
                fail("<member> of relation \(id) has type=\(other.map { "\"\($0.prefix(40))\"" } ?? "(none)"); expected node, way or relation")
                return
            }
            members.append(OSMMember(kind: kind, ref: ref, role: attributes["role"] ?? ""))
        default:
            break
        }
    }

    private var objectID: Int64 {
        switch object {
        case .none: 0
        case .node(let id, _, _), .way(let id), .relation(let id): id
        }
    }

    func end(_ name: UnsafePointer<XML_Char>) {
        guard problem == nil else { return }
        let element = String(cString: name)
        guard element == "node" || element == "way" || element == "relation", element == object.name else { return }
        switch object {
        case .none: return
        case .node(let id, let longitude, let latitude):
            data.addNode(id: id, longitude: longitude, latitude: latitude, tags: OSMTags(tags))
        case .way(let id):
            data.ways.append(OSMWay(id: id, nodeIDs: refs, tags: OSMTags(tags)))
        case .relation(let id):
            data.relations.append(OSMRelation(id: id, members: members, tags: OSMTags(tags)))
        }
        object = .none
        tags.removeAll(keepingCapacity: true)
        refs.removeAll(keepingCapacity: true)
        members.removeAll(keepingCapacity: true)
        sinceProgress += 1
        if sinceProgress >= 100_000 {
            sinceProgress = 0
            progress?(data.nodeCount, data.ways.count, data.relations.count)
        }
    }
}
