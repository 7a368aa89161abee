import CReadOSM
import Dispatch
import Foundation

/// Reads OpenStreetMap PBF files without libreadosm, decoding blobs on several threads.
///
/// Format: https://wiki.openstreetmap.org/wiki/PBF_Format — a sequence of (4-byte big-endian length,
/// BlobHeader, Blob) file blocks; the first is an OSMHeader, the rest OSMData PrimitiveBlocks.
public enum PBFReader {
    /// Limits from the format page: readers may refuse anything larger, and a corrupt length
    /// must not make us allocate gigabytes.
    static let maximumHeaderSize = 64 * 1024
    static let maximumBlobSize = 32 * 1024 * 1024

    /// HeaderBlock.required_features this reader honours.
    static let supportedFeatures: Set<String> = ["OsmSchema-V0.6", "DenseNodes"]

    /// Decodes an OSM PBF file (OSMHeader + OSMData blobs; zlib or raw blobs; DenseNodes, Nodes, Ways,
    /// Relations) into the same `OSMData` the libreadosm path produces, in file order.
    ///
    /// Throws `StoreError.badInput` naming the file (and, for a damaged blob, its number and byte offset)
    /// for an empty, truncated or corrupt file, an unsupported compression (lzma, bzip2, lz4, zstd) or a
    /// required feature this reader does not implement (history files among them).
    public static func read(path: String, progress: OSMReader.Progress? = nil) throws -> OSMData {
        let file = try PBFFile(path: path)
        let blobs = try locateBlobs(in: file, path: path)

        var dataBlobs: [PBFBlobLocation] = []
        let headerDecoder = PBFBlobDecoder()
        for blob in blobs {
            switch blob.type {
            case "OSMHeader": try checkHeader(blob, in: file, decoder: headerDecoder, path: path)
            case "OSMData": dataBlobs.append(blob)
            default: continue  // the format says to skip blob types one does not know
            }
        }

        var data = OSMData()
        var merger = PBFMerger(progress: progress, blobCount: dataBlobs.count)
        let pipeline = PBFPipeline(file: file, blobs: dataBlobs)
        pipeline.start()
        defer { pipeline.stop() }
        for position in dataBlobs.indices {
            switch pipeline.take(position) {
            case .success(let partial): merger.merge(partial, into: &data)
            case .failure(let error): throw describe(error, blob: dataBlobs[position], path: path)
            }
        }
        if data.nodesBeyondLimit > 0 {
            throw StoreError.badInput("\(path): more than \(Int32.max) nodes, more than one import can hold; split the extract; nothing was imported")
        }
        return data
    }

    static func describe(_ error: PBFFormatError, blob: PBFBlobLocation, path: String) -> StoreError {
        let place = "blob #\(blob.index) (\(blob.type)) at byte \(blob.offset)"
        switch error.kind {
        case .corrupt: return .badInput("\(path): corrupt PBF file: \(place): \(error.message); nothing was imported")
        case .unsupported: return .badInput("\(path): \(place): \(error.message); nothing was imported")
        }
    }

    /// Walks the file-block framing once, checking every length against the file size and the
    /// format's limits, so that decoding never reads past the end of a blob or of the file.
    static func locateBlobs(in file: PBFFile, path: String) throws -> [PBFBlobLocation] {
        let bytes = file.bytes
        guard !bytes.isEmpty else { throw StoreError.badInput("\(path): the file is empty") }
        var blobs: [PBFBlobLocation] = []
        var offset = 0
        while offset < bytes.count {
            let index = blobs.count
            let place = "blob #\(index) at byte \(offset)"
            let remaining = bytes.count - offset
            guard remaining >= 4 else {
                throw StoreError.badInput("\(path): truncated PBF file: \(place): the file ends inside the 4-byte header length; nothing was imported")
            }
            let headerSize = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard headerSize <= maximumHeaderSize else {
                let what = index == 0 ? "not an OSM PBF file or a corrupt one" : "corrupt PBF file"
                throw StoreError.badInput("\(path): \(what): \(place): the BlobHeader claims \(headerSize) bytes, more than the format's limit of 64 KiB; nothing was imported")
            }
            guard headerSize <= remaining - 4 else {
                throw StoreError.badInput("\(path): truncated PBF file: \(place): the BlobHeader needs \(headerSize) bytes but the file ends after \(remaining - 4); nothing was imported")
            }
            let header: (type: String, dataSize: Int64)
            do {
                header = try parseBlobHeader(UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 4 + headerSize)]))
            } catch {
                let what = index == 0 ? "not an OSM PBF file or a corrupt one" : "corrupt PBF file"
                throw StoreError.badInput("\(path): \(what): \(place): BlobHeader: \(error.message); nothing was imported")
            }
            if index == 0 && header.type != "OSMHeader" {
                throw StoreError.badInput("\(path): not an OSM PBF file: \(place): the first blob is \"\(header.type)\", expected \"OSMHeader\"; nothing was imported")
            }
            guard header.dataSize >= 0, header.dataSize <= Int64(maximumBlobSize) else {
                throw StoreError.badInput("\(path): corrupt PBF file: \(place): the blob claims \(header.dataSize) bytes, more than the format's limit of 32 MiB; nothing was imported")
            }
            let dataStart = offset + 4 + headerSize
            let dataSize = Int(header.dataSize)
            guard dataSize <= bytes.count - dataStart else {
                throw StoreError.badInput("\(path): truncated PBF file: \(place): the \(header.type) blob needs \(dataSize) bytes but the file ends after \(bytes.count - dataStart); nothing was imported")
            }
            blobs.append(PBFBlobLocation(index: index, offset: offset, type: header.type, data: dataStart..<(dataStart + dataSize)))
            offset = dataStart + dataSize
        }
        return blobs
    }

    /// BlobHeader (fileformat.proto): type = 1, indexdata = 2, datasize = 3.
    static func parseBlobHeader(_ message: UnsafeRawBufferPointer) throws(PBFFormatError) -> (type: String, dataSize: Int64) {
        var reader = ProtobufReader(message)
        var type: String?
        var dataSize: Int64?
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            switch number {
            case 1: type = String(decoding: try reader.lengthDelimited(wire, field: "type"), as: UTF8.self)
            case 3: dataSize = Int64(Int32(truncatingIfNeeded: try reader.varint(wire, field: "datasize")))
            default: try reader.skip(wire)
            }
        }
        guard let type, let dataSize else { throw .corrupt("the type or the datasize is missing") }
        return (type, dataSize)
    }

    /// HeaderBlock (osmformat.proto): required_features = 4. A reader must refuse a file needing a
    /// feature it does not implement rather than misread it.
    static func checkHeader(_ blob: PBFBlobLocation, in file: PBFFile, decoder: PBFBlobDecoder, path: String) throws {
        var required: [String] = []
        do {
            var reader = ProtobufReader(try decoder.payload(of: UnsafeRawBufferPointer(rebasing: file.bytes[blob.data])))
            while !reader.isAtEnd {
                let (number, wire) = try reader.field()
                if number == 4 {
                    required.append(String(decoding: try reader.lengthDelimited(wire, field: "HeaderBlock.required_features"), as: UTF8.self))
                } else {
                    try reader.skip(wire)
                }
            }
        } catch {
            throw describe(error, blob: blob, path: path)
        }
        if required.contains("HistoricalInformation") {
            throw StoreError.badInput("\(path): this PBF file holds OSM history (required feature \"HistoricalInformation\": several versions of each object, deleted ones included), which cannot be imported; extract a snapshot first, e.g. with `osmium time-filter`; nothing was imported")
        }
        if let unknown = required.first(where: { !supportedFeatures.contains($0) }) {
            throw StoreError.badInput("\(path): this PBF file requires the feature \"\(unknown)\", which this reader does not support (it supports \(supportedFeatures.sorted().joined(separator: ", "))); nothing was imported")
        }
    }
}

/// Where one file block sits in the file.
struct PBFBlobLocation: Sendable {
    /// Position among all blobs of the file; the OSMHeader is #0.
    var index: Int
    /// Byte offset of the block's length prefix.
    var offset: Int
    var type: String
    /// Byte range of the serialized Blob message.
    var data: Range<Int>
}

/// The whole file in memory: blobs are decoded in place, from several threads, read-only.
final class PBFFile: @unchecked Sendable {
    private let storage: UnsafeMutableRawPointer
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw StoreError.badInput("\(path): file not found or not readable") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError.badInput("\(path): not a regular file")
        }
        let size = Int(status.st_size)
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
        var filled = 0
        while filled < size {
            let count = Foundation.read(descriptor, storage + filled, size - filled)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        bytes = UnsafeRawBufferPointer(start: storage, count: filled)
        guard filled == size else {
            storage.deallocate()
            throw StoreError.badInput("\(path): read error after \(filled) of \(size) bytes")
        }
    }

    deinit { storage.deallocate() }
}

/// Turns a Blob message into its PrimitiveBlock bytes, inflating into a buffer reused across blobs.
final class PBFBlobDecoder {
    private var buffer: UnsafeMutableRawPointer?
    private var capacity = 0

    deinit { buffer?.deallocate() }

    /// Blob (fileformat.proto): raw = 1, raw_size = 2, zlib_data = 3, lzma_data = 4,
    /// OBSOLETE_bzip2_data = 5, lz4_data = 6, zstd_data = 7.
    func payload(of blob: UnsafeRawBufferPointer) throws(PBFFormatError) -> UnsafeRawBufferPointer {
        var reader = ProtobufReader(blob)
        var raw: UnsafeRawBufferPointer?
        var rawSize: Int64?
        var zlib: UnsafeRawBufferPointer?
        var other: String?
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            switch number {
            case 1: raw = try reader.lengthDelimited(wire, field: "Blob.raw")
            case 2: rawSize = Int64(Int32(truncatingIfNeeded: try reader.varint(wire, field: "Blob.raw_size")))
            case 3: zlib = try reader.lengthDelimited(wire, field: "Blob.zlib_data")
            case 4: other = "lzma"; try reader.skip(wire)
            case 5: other = "bzip2"; try reader.skip(wire)
            case 6: other = "lz4"; try reader.skip(wire)
            case 7: other = "zstd"; try reader.skip(wire)
            default: try reader.skip(wire)
            }
        }
        if let raw { return raw }
        if let zlib { return try inflate(zlib, rawSize: rawSize) }
        if let other {
            throw .unsupported("the blob is \(other)-compressed, which this reader does not support; re-encode the file with zlib, e.g. `osmium cat IN.osm.pbf -o OUT.osm.pbf -f pbf,pbf_compression=zlib`")
        }
        throw .corrupt("the blob holds no data")
    }

    private func inflate(_ compressed: UnsafeRawBufferPointer, rawSize: Int64?) throws(PBFFormatError) -> UnsafeRawBufferPointer {
        if let rawSize, rawSize < 0 || rawSize > Int64(PBFReader.maximumBlobSize) {
            throw .corrupt("raw_size \(rawSize) is outside 0…32 MiB")
        }
        // Without raw_size (optional in the format) allow the largest block the format permits.
        let expected = Int(rawSize ?? Int64(PBFReader.maximumBlobSize))
        if capacity < max(expected, 1) {
            buffer?.deallocate()
            capacity = max(expected, 1)
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        }
        guard let buffer else { throw .corrupt("no inflate buffer") }
        guard let source = compressed.baseAddress, !compressed.isEmpty else { throw .corrupt("the zlib data is empty") }
        var produced = uLongf(expected)
        let code = uncompress(
            buffer.assumingMemoryBound(to: Bytef.self), &produced,
            source.assumingMemoryBound(to: Bytef.self), uLong(compressed.count))
        switch code {
        case Z_OK: break
        case Z_BUF_ERROR:
            let limit = rawSize == nil ? "32 MiB" : "raw_size \(expected)"
            throw .corrupt("the zlib data is damaged or cut short (it does not inflate to \(limit))")
        case Z_DATA_ERROR: throw .corrupt("the zlib data is damaged (inflate: data error)")
        case Z_MEM_ERROR: throw .corrupt("out of memory while inflating")
        default: throw .corrupt("inflate failed with zlib code \(code)")
        }
        if rawSize != nil && Int(produced) != expected {
            throw .corrupt("the zlib data inflates to \(produced) bytes, but raw_size says \(expected)")
        }
        return UnsafeRawBufferPointer(start: buffer, count: Int(produced))
    }
}

/// Appends decoded blobs to `OSMData` on the calling thread, in file order, reporting progress.
struct PBFMerger {
    let progress: OSMReader.Progress?
    let blobCount: Int
    private var merged = 0
    private var sinceProgress = 0
    private var reserved = false

    init(progress: OSMReader.Progress?, blobCount: Int) {
        self.progress = progress
        self.blobCount = blobCount
    }

    mutating func merge(_ partial: PBFPartial, into data: inout OSMData) {
        if !reserved && !partial.nodes.isEmpty {
            // Node blobs come first and hold similar counts: size the index once instead of regrowing it.
            reserved = true
            data.reserveNodes(partial.nodes.count * (blobCount - merged))
        }
        merged += 1
        var tagged = partial.nodeTags.makeIterator()
        var nextTagged = tagged.next()
        for (position, node) in partial.nodes.enumerated() {
            if let current = nextTagged, current.index == position {
                data.addNode(id: node.id, longitude: node.longitude, latitude: node.latitude, tags: current.tags)
                nextTagged = tagged.next()
            } else {
                data.addNode(id: node.id, longitude: node.longitude, latitude: node.latitude, tags: OSMTags())
            }
        }
        data.ways.append(contentsOf: partial.ways)
        data.relations.append(contentsOf: partial.relations)
        sinceProgress += partial.objectCount
        if sinceProgress >= 100_000 {
            sinceProgress = 0
            progress?(data.nodeCount, data.ways.count, data.relations.count)
        }
    }
}

/// Decodes blobs on worker threads ahead of the in-order merge.
///
/// Workers claim blobs in file order; at most `window` decoded blobs wait for the merge, which bounds
/// memory on large files. Each blob's result has its own semaphore, so the merge takes them in order.
final class PBFPipeline: @unchecked Sendable {
    private let file: PBFFile
    private let blobs: [PBFBlobLocation]
    private let results: UnsafeMutablePointer<Result<PBFPartial, PBFFormatError>?>
    private let ready: [DispatchSemaphore]
    private let window: DispatchSemaphore
    private let workerCount: Int
    /// Guards `next` and `stopping`; taken once per blob, so it costs nothing measurable.
    private let lock = NSLock()
    private var next = 0
    private var stopping = false
    private let group = DispatchGroup()
    private var started = false

    init(file: PBFFile, blobs: [PBFBlobLocation]) {
        self.file = file
        self.blobs = blobs
        results = .allocate(capacity: max(blobs.count, 1))
        results.initialize(repeating: nil, count: max(blobs.count, 1))
        ready = blobs.map { _ in DispatchSemaphore(value: 0) }
        workerCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, blobs.count))
        // Start at zero and add the permits: libdispatch traps when a semaphore is freed below its
        // initial value, which happens when an error ends the merge early.
        window = DispatchSemaphore(value: 0)
        for _ in 0..<(4 * workerCount) { window.signal() }
    }

    deinit {
        results.deinitialize(count: max(blobs.count, 1))
        results.deallocate()
    }

    func start() {
        guard !blobs.isEmpty else { return }
        started = true
        for _ in 0..<workerCount {
            DispatchQueue.global().async(group: group) { self.work() }
        }
    }

    /// The result of blob `position`, waiting for it; each position is taken once, in order.
    func take(_ position: Int) -> Result<PBFPartial, PBFFormatError> {
        ready[position].wait()
        let result = results[position].take()!
        window.signal()
        return result
    }

    /// Lets idle workers finish and waits for all of them, also after an error.
    func stop() {
        guard started else { return }
        started = false
        lock.withLock { stopping = true }
        for _ in 0..<workerCount { window.signal() }
        group.wait()
    }

    private func work() {
        let decoder = PBFBlobDecoder()
        while true {
            window.wait()
            let claimed: Int? = lock.withLock {
                if stopping { return nil }
                defer { next += 1 }
                return next
            }
            guard let position = claimed else { return }
            guard position < blobs.count else {
                window.signal()
                return
            }
            let blob = UnsafeRawBufferPointer(rebasing: file.bytes[blobs[position].data])
            results[position] = Result { () throws(PBFFormatError) -> PBFPartial in
                try PBFPrimitiveBlock.decode(decoder.payload(of: blob))
            }
            ready[position].signal()
        }
    }
}
