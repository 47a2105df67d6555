import ArgumentParser

/// The `evolution-sim` executable: a simulator of the Evolution API, served as a FastCGI responder behind nginx.
@main
struct EvolutionSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evolution-sim",
        abstract:
            "A faithful Evolution API (v2.3.x) simulator with a control API under /_sim/, as a FastCGI responder.",
        subcommands: [ServeCommand.self]
    )
}
