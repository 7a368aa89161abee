import Foundation
import Testing

/// `serve --basemap`: a template that cannot address tiles is refused before anything is served.
@Suite("serve --basemap refuses what cannot be a tile address")
struct ServeBasemapCLITests {
    @Test("a template without http(s), without {z}/{x}/{y}, or GCJ-02 and credit without a template: exit 1 naming the option")
    func refusals() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-basemap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("s.sqlite").path
        #expect(try CLI.run(["--db", db, "init"]).status == 0)
        for (arguments, message) in [(["--basemap", "ftp://tiles.example/{z}/{x}/{y}.png"], "must start with http:// or https://"),
                                     (["--basemap", "https://tiles.example/{z}/{x}.png"], "lacks {y}"),
                                     (["--basemap-gcj02"], "give its --basemap URL template"),
                                     (["--basemap-attribution", "底图"], "give its --basemap URL template")] {
            let result = try CLI.run(["--db", db, "serve", "--port", "0"] + arguments)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("--basemap") && result.stderr.contains(message), "\(result.stderr)")
        }
    }
}
