/// Hilbert curve (Hilbert 1891) by a four-state automaton, one quadrant per level: the state records
/// whether the sub-square is transposed and whether it is mirrored, as in the rotate-and-reflect form.
/// Entry `state << 2 | bx << 1 | by` holds the quadrant digit in its low two bits and the next state above.
private let hilbertSteps: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 16)
    for state in 0..<4 {
        let transposed = state & 1 != 0, mirrored = state & 2 != 0
        for bits in 0..<4 {
            var rx = bits >> 1, ry = bits & 1
            if transposed { swap(&rx, &ry) }
            if mirrored { rx ^= 1; ry ^= 1 }
            let digit = (3 * rx) ^ ry
            var next = state
            if ry == 0 {
                if rx == 1 { next ^= 2 }
                next ^= 1
            }
            table[state << 2 | bits] = UInt8(digit | next << 2)
        }
    }
    return table
}()

/// Position of (x, y), both below 2¹⁶, on the Hilbert curve of order 16. Neighbouring keys are
/// neighbouring places, so arrays sorted by key keep a search's working set in few cache lines.
@inline(__always) func hilbertKey(_ x: UInt32, _ y: UInt32) -> UInt32 {
    hilbertSteps.withUnsafeBufferPointer { steps in
        var d: UInt32 = 0
        var state = 0
        var level = 15
        while level >= 0 {
            let bits = Int((x >> UInt32(level)) & 1) << 1 | Int((y >> UInt32(level)) & 1)
            let step = steps[state << 2 | bits]
            d = d << 2 | UInt32(step & 3)
            state = Int(step >> 2)
            level -= 1
        }
        return d
    }
}

/// Stable LSD radix sort (Seward 1954) of keys with an `Int32` payload. Keys are taken relative to the
/// smallest, 12 bits per pass (4096 buckets stay in cache), and passes whose digit never varies are
/// skipped, so 2³⁶ distinct values cost at most three passes.
func radixSort(keys: inout ContiguousArray<UInt64>, payload: inout ContiguousArray<Int32>) {
    let n = keys.count
    guard n > 1 else { return }
    let bits = 12, buckets = 1 << 12, mask: UInt64 = (1 << 12) - 1
    var low = UInt64.max, high = UInt64.min
    for k in keys { low = min(low, k); high = max(high, k) }
    let range = high - low
    let passes = range == 0 ? 0 : (64 - range.leadingZeroBitCount + bits - 1) / bits
    guard passes > 0 else { return }
    var histogram = ContiguousArray<Int>(repeating: 0, count: passes * buckets)
    keys.withUnsafeBufferPointer { k in
        histogram.withUnsafeMutableBufferPointer { h in
            for i in 0..<n {
                let key = k[i] &- low
                for pass in 0..<passes {
                    h[pass * buckets + Int((key >> UInt64(pass * bits)) & mask)] += 1
                }
            }
        }
    }
    var otherKeys = ContiguousArray<UInt64>(repeating: 0, count: n)
    var otherPayload = ContiguousArray<Int32>(repeating: 0, count: n)
    for pass in 0..<passes {
        let base = pass * buckets
        let shift = UInt64(pass * bits)
        // All keys share this digit: the order is already right for it.
        if histogram[base + Int(((keys[0] &- low) >> shift) & mask)] == n { continue }
        histogram.withUnsafeMutableBufferPointer { h in
            var sum = 0
            for b in base..<(base + buckets) { let c = h[b]; h[b] = sum; sum += c }
            keys.withUnsafeBufferPointer { k in
                payload.withUnsafeBufferPointer { p in
                    otherKeys.withUnsafeMutableBufferPointer { k2 in
                        otherPayload.withUnsafeMutableBufferPointer { p2 in
                            for i in 0..<n {
                                let key = k[i]
                                let b = base + Int(((key &- low) >> shift) & mask)
                                let at = h[b]
                                h[b] = at + 1
                                k2[at] = key
                                p2[at] = p[i]
                            }
                        }
                    }
                }
            }
        }
        swap(&keys, &otherKeys)
        swap(&payload, &otherPayload)
    }
}

/// Positions of `keys` in ascending key order (stable), by the same radix sort.
func radixOrder(_ keys: ContiguousArray<UInt32>) -> ContiguousArray<Int32> {
    var wide = ContiguousArray(keys.lazy.map { UInt64($0) })
    var order = ContiguousArray<Int32>(unsafeUninitializedCapacity: keys.count) { b, c in
        for i in 0..<keys.count { b[i] = Int32(i) }
        c = keys.count
    }
    radixSort(keys: &wide, payload: &order)
    return order
}
