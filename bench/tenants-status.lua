-- wrk script of scripts/bench's servers rows: GET status of many tenants, each with its own token.
--
--   wrk -t2 -c16 -d5s --latency -s bench/tenants-status.lua http://127.0.0.1:PORT -- TENANTS_FILE THREADS
--
-- TENANTS_FILE holds one "tenant token" pair a line (scripts/twbench/servers.py writes it in the state folder).
-- Each thread goes round the list from its own starting point (thread k of THREADS starts k/THREADS of the way in),
-- so the connections of all threads ask different tenants at once and no tenant reaches the responder's
-- EVOLUTION_MAX_PER_TENANT.

local requests = {}
local next_index = 1
local threads_set_up = 0

-- Runs in wrk's main interpreter once per thread, before the thread starts: numbers the threads.
function setup(thread)
    threads_set_up = threads_set_up + 1
    thread:set("thread_number", threads_set_up)
end

function init(args)
    local file, threads = args[1], tonumber(args[2] or "1")
    for line in io.lines(file) do
        local tenant, token = line:match("^(%S+)%s+(%S+)$")
        if tenant then
            requests[#requests + 1] = wrk.format("GET", "/api/tenants/" .. tenant .. "/whatsapp/status",
                                                 {["Authorization"] = "Bearer " .. token})
        end
    end
    if #requests == 0 then
        error("no 'tenant token' line in " .. file)
    end
    next_index = math.floor((thread_number - 1) * #requests / threads) % #requests + 1
end

function request()
    local chosen = requests[next_index]
    next_index = next_index % #requests + 1
    return chosen
end
