import CReadOSM
import Foundation

/// Reads `.osm`, `.osm.gz` and `.osm.pbf` files with libreadosm (expat for XML, zlib for PBF blocks).
///
/// The format is sniffed from the content, not trusted from the name. A failed parse throws and
/// returns nothing: callers never see the part of a truncated file that happened to parse.
public enum OSMReader {
    public enum Format: String, Sendable { case xml, gzipXML = "xml.gz", pbf }

    /// Progress: objects read so far (nodes, ways, relations).
    public typealias Progress = @Sendable (_ nodes: Int, _ ways: Int, _ relations: Int) -> Void

    /// PBF goes to the project's own decoder (`PBFReader`, about 8× faster than libreadosm's), XML and gzip XML
    /// to `OSMXMLReader`, which checks every attribute; `libreadosm` forces the library for every format, which
    /// the tests use as an independent reference on trusted files (it does not survive malformed attributes).
    public static func read(path: String, progress: Progress? = nil, libreadosm: Bool = false) throws -> OSMData {
        let format = try sniff(path: path)
        if !libreadosm {
            return format == .pbf
                ? try PBFReader.read(path: path, progress: progress)
                : try OSMXMLReader.read(path: path, progress: progress)
        }
        var cleanup: [String] = []
        defer { for file in cleanup { try? FileManager.default.removeItem(atPath: file) } }

        // libreadosm picks its parser by suffix: hand it a name that matches the content.
        var parsePath = path
        switch format {
        case .gzipXML:
            parsePath = try temporaryPath(suffix: ".osm")
            cleanup.append(parsePath)
            try gunzip(path, to: parsePath)
        case .xml where !path.hasSuffix(".osm"), .pbf where !path.hasSuffix(".pbf"):
            parsePath = try temporaryPath(suffix: format == .pbf ? ".pbf" : ".osm")
            cleanup.append(parsePath)
            try FileManager.default.createSymbolicLink(
                atPath: parsePath, withDestinationPath: URL(fileURLWithPath: path).standardizedFileURL.path)
        default:
            break
        }

        let collector = Collector(progress: progress)
        var handle: UnsafeRawPointer?
        let openCode = readosm_open(parsePath, &handle)
        defer { readosm_close(handle) }
        guard openCode == READOSM_OK else {
            throw StoreError.badInput("\(path): cannot open as OpenStreetMap (\(describe(openCode)))")
        }
        let context = Unmanaged.passUnretained(collector).toOpaque()
        let parseCode = readosm_parse(handle, context, { context, node in
            guard let context, let node else { return READOSM_OK }
            Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().add(node.pointee)
            return READOSM_OK
        }, { context, way in
            guard let context, let way else { return READOSM_OK }
            Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().add(way.pointee)
            return READOSM_OK
        }, { context, relation in
            guard let context, let relation else { return READOSM_OK }
            Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().add(relation.pointee)
            return READOSM_OK
        })
        guard parseCode == READOSM_OK else {
            let read = "after \(collector.data.nodeCount) nodes, \(collector.data.ways.count) ways, \(collector.data.relations.count) relations"
            if format != .pbf, let located = locateXMLError(parsePath) {
                throw StoreError.badInput("\(path): malformed OSM XML at \(located); nothing was imported")
            }
            let what = format == .pbf ? "truncated or corrupt PBF" : "malformed OSM XML"
            throw StoreError.badInput("\(path): \(what) (\(describe(parseCode)) \(read)); nothing was imported")
        }
        return collector.data
    }

    /// Decides the format from the first bytes: gzip magic, PBF's "OSMHeader" blob, or XML.
    public static func sniff(path: String) throws -> Format {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw StoreError.badInput("\(path): file not found or not readable")
        }
        defer { try? file.close() }
        let head = [UInt8]((try? file.read(upToCount: 64)) ?? Data())
        if head.count >= 2, head[0] == 0x1F, head[1] == 0x8B { return .gzipXML }
        if head.count >= 14, String(decoding: head[4..<min(head.count, 20)], as: UTF8.self).contains("OSMHeader") {
            return .pbf
        }
        let text = String(decoding: head, as: UTF8.self).drop { $0 == "\u{FEFF}" || $0.isWhitespace }
        if text.hasPrefix("<") { return .xml }
        if head.isEmpty { throw StoreError.badInput("\(path): the file is empty") }
        throw StoreError.badInput("\(path): not an OpenStreetMap file (expected OSM XML, gzip-compressed OSM XML or PBF)")
    }

    private static func temporaryPath(suffix: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.path
        return "\(directory)/communitygrid-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)\(suffix)"
    }

    private static func gunzip(_ source: String, to destination: String) throws {
        guard let input = gzopen(source, "rb") else { throw StoreError.badInput("\(source): cannot open gzip stream") }
        defer { gzclose(input) }
        guard let output = fopen(destination, "wb") else {
            throw StoreError.environment("cannot write temporary file \(destination)")
        }
        defer { fclose(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { gzread(input, $0.baseAddress, UInt32($0.count)) }
            if count < 0 {
                var code: Int32 = 0
                let message = gzerror(input, &code).map { String(cString: $0) } ?? "error \(code)"
                throw StoreError.badInput("\(source): corrupt gzip data (\(message)); nothing was imported")
            }
            if count == 0 {
                // zlib reports a cut or damaged stream only here, after the last read.
                var code: Int32 = 0
                let message = gzerror(input, &code).map { String(cString: $0) } ?? ""
                if code != Z_OK && code != Z_STREAM_END {
                    throw StoreError.badInput("\(source): corrupt gzip data (\(message)); nothing was imported")
                }
                break
            }
            guard buffer.withUnsafeBytes({ fwrite($0.baseAddress, 1, Int(count), output) }) == Int(count) else {
                throw StoreError.environment("cannot write temporary file \(destination) (disk full?)")
            }
        }
    }

    /// libreadosm does not expose expat's error position; a second expat pass over the broken file finds it.
    private static func locateXMLError(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        guard let parser = XML_ParserCreate(nil) else { return nil }
        defer { XML_ParserFree(parser) }
        var buffer = [CChar](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            let isFinal: Int32 = count < buffer.count ? 1 : 0
            if XML_Parse(parser, buffer, Int32(count), isFinal) == XML_STATUS_ERROR {
                let reason = XML_ErrorString(XML_GetErrorCode(parser)).map { String(cString: $0) } ?? "parse error"
                return "line \(XML_GetCurrentLineNumber(parser)), column \(XML_GetCurrentColumnNumber(parser) + 1): \(reason)"
            }
            if isFinal == 1 { return nil }
        }
    }

    static func describe(_ code: Int32) -> String {
        switch code {
        case READOSM_INVALID_SUFFIX: "unsupported file suffix"
        case READOSM_FILE_NOT_FOUND: "file not found"
        case READOSM_INSUFFICIENT_MEMORY: "out of memory"
        case READOSM_READ_ERROR: "read error"
        case READOSM_XML_ERROR: "XML parser error"
        case READOSM_INVALID_PBF_HEADER: "invalid PBF block header"
        case READOSM_UNZIP_ERROR: "cannot decompress a PBF block"
        default: "libreadosm error \(code)"
        }
    }
}

/// Receives libreadosm's callbacks on the parsing thread; only `read` touches it.
private final class Collector {
    var data = OSMData()
    let progress: OSMReader.Progress?
    private var sinceProgress = 0

    init(progress: OSMReader.Progress?) {
        self.progress = progress
        data.reserveNodes(1 << 16)
    }

    private func tick() {
        sinceProgress += 1
        if sinceProgress >= 100_000 {
            sinceProgress = 0
            progress?(data.nodeCount, data.ways.count, data.relations.count)
        }
    }

    private static func tags(_ tags: UnsafePointer<readosm_tag>?, count: Int32) -> OSMTags {
        guard let tags, count > 0 else { return OSMTags() }
        var pairs: [(key: String, value: String)] = []
        pairs.reserveCapacity(Int(count))
        for tag in UnsafeBufferPointer(start: tags, count: Int(count)) {
            guard let key = tag.key, let value = tag.value else { continue }
            pairs.append((String(cString: key), String(cString: value)))
        }
        return OSMTags(pairs)
    }

    func add(_ node: readosm_node) {
        tick()
        data.addNode(
            id: node.id, longitude: node.longitude, latitude: node.latitude,
            tags: Self.tags(node.tags, count: node.tag_count))
    }

    func add(_ way: readosm_way) {
        tick()
        let refs = way.node_refs.map { Array(UnsafeBufferPointer(start: $0, count: Int(way.node_ref_count))) } ?? []
        data.ways.append(OSMWay(id: way.id, nodeIDs: refs, tags: Self.tags(way.tags, count: way.tag_count)))
    }

    func add(_ relation: readosm_relation) {
        tick()
        var members: [OSMMember] = []
        if let pointer = relation.members {
            for member in UnsafeBufferPointer(start: pointer, count: Int(relation.member_count)) {
                let kind: OSMMember.Kind = switch member.member_type {
                case READOSM_MEMBER_NODE: .node
                case READOSM_MEMBER_WAY: .way
                default: .relation
                }
                members.append(OSMMember(kind: kind, ref: member.id, role: member.role.map { String(cString: $0) } ?? ""))
            }
        }
        data.relations.append(OSMRelation(id: relation.id, members: members, tags: Self.tags(relation.tags, count: relation.tag_count)))
    }
}
