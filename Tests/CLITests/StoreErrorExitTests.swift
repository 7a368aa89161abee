import Foundation
import GridCommandLine
import GridStore
import Testing

/// The store's typed errors become exit codes and messages in one place (CommandMain).
@Suite("Command line: typed store errors to exit codes")
struct StoreErrorExitTests {
    @Test("the user's errors exit 1, ours and a held lock 2; fields are spelled as the commands take them")
    func mapping() {
        let cases: [(StoreError, Int32, String)] = [
            (.badInput("levels: bad"), 1, "levels: bad"),
            (.invalid(.category, value: "spa", problem: "unknown category"), 1, "--category spa: unknown category"),
            (.notFound(.community, value: "110108001999", problem: "no such community"), 1, "--community 110108001999: no such community"),
            (.notFound(.coverageRun, value: "9", problem: "no such coverage run"), 1, "RUN 9: no such coverage run"),
            (.conflict("RUN 3 is applied"), 1, "RUN 3 is applied"),
            (.locked, 2, StoreError.locked.description),
            (.deadlinePassed, 2, StoreError.deadlinePassed.description),
            (.corrupt("grid 4: no area"), 2, "grid 4: no area"),
            (.environment("cannot load mod_spatialite"), 2, "cannot load mod_spatialite"),
        ]
        for (error, code, message) in cases {
            #expect(CommandMain.exitCode(for: error) == code, "\(error)")
            #expect(CommandMain.message(for: error) == message)
        }
    }

    @Test("a coverage run or community the store lacks: exit 1, named as the command line names it")
    func realCommands() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("empty.sqlite")
        #expect(try CLI.run(["--db", db, "init"]).status == 0)
        let run = try CLI.run(["--db", db, "coverage", "show", "9"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("RUN 9: no such coverage run (the store has none; run `coverage` first)"), "\(run.stderr)")
        let community = try CLI.run(["--db", db, "coverage", "--community", "110108001999"])
        #expect(community.status == 1)
        #expect(community.stderr.contains("--community 110108001999: no such community; the store holds no community"), "\(community.stderr)")
    }
}
