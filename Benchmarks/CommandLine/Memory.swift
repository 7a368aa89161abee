import Foundation

/// glibc's malloc_trim: returns freed heap pages to the system (not exported by the Glibc module).
@_silgen_name("malloc_trim")
func releaseFreeMemory(_ pad: Int) -> Int32

/// Peak resident memory of this process so far (Linux VmHWM), in MB.
func peakResidentMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}
