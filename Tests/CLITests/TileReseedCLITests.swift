import Foundation
import Testing

/// `serve --reseed`: options that cannot make a plan are refused before anything is served.
@Suite("serve --reseed refuses what cannot be seeded")
struct TileReseedCLITests {
    @Test("--reseed without --tiles, its options without --reseed, bad zooms or threads, a missing folder: exit 1 naming the option")
    func refusals() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-reseed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("s.sqlite").path
        let file = directory.appendingPathComponent("s.mbtiles").path
        #expect(try CLI.run(["--db", db, "init"]).status == 0)
        for (arguments, option, message) in [
            (["--reseed"], "--reseed", "give --tiles"),
            (["--tiles", file, "--reseed-zooms", "10-16"], "--reseed-zooms", "go with --reseed"),
            (["--tiles", file, "--reseed-threads", "2"], "--reseed-threads", "go with --reseed"),
            (["--tiles", file, "--reseed", "--reseed-zooms", "16-10"], "--reseed-zooms 16-10", "MIN-MAX"),
            (["--tiles", file, "--reseed", "--reseed-zooms", "10"], "--reseed-zooms 10", "MIN-MAX"),
            (["--tiles", file, "--reseed", "--reseed-threads", "0"], "--reseed-threads", "from 1 to 64"),
            (["--tiles", directory.appendingPathComponent("none/s.mbtiles").path, "--reseed"], "--tiles", "no directory"),
            (["--tiles", directory.appendingPathComponent("s.pmtiles").path, "--reseed"], "--tiles", "must end in .mbtiles"),
        ] {
            let result = try CLI.run(["--db", db, "serve", "--port", "0"] + arguments)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(option) && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
