import CDeflate
import Synchronization

/// gzip (RFC 1952) through libdeflate: the server's large responses and the tiles of an MBTiles file. Levels as
/// zlib's (1 fastest, 9 best; libdeflate goes on to 12). Any gzip reader inflates the bytes; they are not zlib's.
public enum Gzip {
    /// `input` as one gzip member; nil when it cannot be compressed (the caller sends or stores it as it is).
    public static func compress(_ input: [UInt8], level: Int32 = 5) -> [UInt8]? {
        guard (0...12).contains(level), let deflater = Deflater.take(level: level) else { return nil }
        defer { Deflater.giveBack(deflater) }
        return input.withUnsafeBufferPointer { deflater.compress($0) }
    }
}

/// A libdeflate compressor of one level with a scratch buffer of its own, kept for the next call: allocating one
/// costs more than compressing a street-level tile. Used by one thread at a time (taken from and given back to the pool).
private final class Deflater: @unchecked Sendable {
    let level: Int32
    private let compressor: OpaquePointer
    private var scratch: [UInt8] = []

    private init?(level: Int32) {
        guard let compressor = libdeflate_alloc_compressor(level) else { return nil }
        self.level = level
        self.compressor = compressor
    }

    deinit { libdeflate_free_compressor(compressor) }

    func compress(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
        let written = scratch.withUnsafeMutableBufferPointer { target in
            libdeflate_gzip_compress(compressor, input.baseAddress, input.count, target.baseAddress, target.count)
        }
        // 0: the output did not fit (it always fits the bound) or the compressor failed.
        guard written > 0, written <= scratch.count else { return nil }
        // The scratch buffer is as large as the largest input so far: keep it while it is a few tiles' size.
        defer { if scratch.count > Self.keptScratchBytes { scratch = [] } }
        return Array(scratch[0..<written])
    }

    private static let keptScratchBytes = 4 << 20
    private static let keptPerLevel = 16
    private static let pool = Mutex([Int32: [Deflater]]())

    static func take(level: Int32) -> Deflater? {
        if let kept = pool.withLock({ $0[level]?.popLast() }) { return kept }
        return Deflater(level: level)
    }

    static func giveBack(_ deflater: Deflater) {
        pool.withLock { pool in
            guard pool[deflater.level, default: []].count < keptPerLevel else { return }
            pool[deflater.level, default: []].append(deflater)
        }
    }
}
