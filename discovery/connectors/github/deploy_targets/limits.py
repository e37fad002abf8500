"""Work bounds for one repository (one ``find_deploy_targets`` call).

Everything read here is tenant data, so work is bounded by input size: expressions are expanded
in one scan with memoised references and a cap on what one string may grow to (``${{ env.A }}``
where A refers twice to B, which refers twice to C ... would be exponential otherwise), serverless
variables likewise, YAML documents are refused when aliases would multiply them (billion laughs),
companion files are parsed once however many commands point at them, and the run-script text
read per repository is capped (matrix jobs rescan their steps once per combination). Whatever a
cap cuts off becomes a warning: ``unresolved_expression`` for a value too large to expand,
``input_too_large`` for scripts, steps or names beyond the caps.

The caps are far above what real repositories need; they keep a hostile one from stalling a worker.
(The YAML caps live with the loaders, in ``safe_yaml``.)
"""
MAX_MATRIX_COMBOS = 64                   # matrix combinations of a job, and input combinations of a job
MAX_INPUT_VALUES = 16                    # candidate values of one workflow input (default, options, callers')
MAX_CALL_DEPTH = 4                       # rounds of callers passing on inputs their own callers passed
MAX_CALL_EVALUATIONS = 10_000            # input values of local calls evaluated per repository, rounds included
MAX_TARGETS = 1000
MAX_EXPANDED = 64 * 1024                 # characters substituted into one string, nested expansions included
MAX_EXPANSION_DEPTH = 8                  # env -> env -> ... references followed
MAX_EXPANSION_TOTAL = 4 * 1024 * 1024    # characters substituted in all
# Script work: a script's characters each time it is read (matrix jobs read theirs once per
# combination), the characters of each distinct line tokenized, and COMMAND_COST per command acted on.
MAX_SCRIPT_WORK = 1024 * 1024
COMMAND_COST = 64
ADD_COST = 16                            # per target a command adds from a companion file (cdk, serverless)
MAX_STEP_VISITS = 20_000                 # workflow steps scanned, matrix combinations included
MAX_LINE = 32 * 1024                     # one logical shell line; a longer one is no command we could read
MAX_NAME = 1024                          # a target name (AWS names are at most a few hundred characters)
MAX_SLS_VALUE = 4096                     # one resolved serverless.yml value
MAX_WARNINGS = 500
MAX_SHOWN = 200                          # characters of an expression or value quoted in a warning
MAX_CDK_SELECTORS = 100                  # stack names of one cdk deploy
MAX_COMPANIONS = 500                     # companion files read on their own (a monorepo has one or two per service)
