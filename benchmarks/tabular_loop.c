/* The tabular training loop of specgame/agents/_kernels.py::train, written in C.
 *
 * It is the benchmark's "practical limit": the same algorithm, the same xoshiro256**
 * generator drawn in the same order, the same TabularMDP arrays.  From the same seed it
 * must leave the same Q-table, bit for bit, which the benchmark checks: that is what
 * shows both loops do the same work.  Compiled with plain -O2 (no -ffast-math, no FMA
 * contraction) so that floating point rounds exactly as numba's code does.
 */

#include <math.h>
#include <stdint.h>

enum { SARSA = 0, EXPECTED_SARSA = 1, Q_LEARNING = 2 };
enum { STATE = 0, STEP = 1, PENDING_ACTION = 2, STEPS_DONE = 3, EPISODES_DONE = 4 };
enum { PROXY_RETURN = 0, INTENDED_RETURN = 1 };
enum { ALPHA_START = 0, ALPHA_END = 1, EPSILON_START = 2, EPSILON_END = 3, GAMMA = 4, DECAY_STEPS = 5 };

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next_u64(uint64_t *s) {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline double uniform(uint64_t *s) {
    return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Lemire's multiply-and-shift on 32 random bits, as specgame/rng.py::integers. */
static inline int64_t integers(uint64_t *s, int64_t n) {
    uint64_t bound = (uint64_t)n;
    uint64_t product = (next_u64(s) >> 32) * bound;
    uint64_t low = product & 0xFFFFFFFFu;
    if (low < bound) {
        uint64_t threshold = ((0 - bound) & 0xFFFFFFFFu) % bound;
        while (low < threshold) {
            product = (next_u64(s) >> 32) * bound;
            low = product & 0xFFFFFFFFu;
        }
    }
    return (int64_t)(product >> 32);
}

static inline double scheduled(double start, double end, int64_t step, double decay_steps) {
    if (decay_steps <= 0.0) return end;
    double f = (double)step / decay_steps;
    return start + (end - start) * (f < 1.0 ? f : 1.0);
}

static inline int64_t greedy(const double *row, int64_t A, uint64_t *rng) {
    double best = row[0];
    int64_t ties = 1;
    for (int64_t a = 1; a < A; a++) {
        if (row[a] > best) { best = row[a]; ties = 1; }
        else if (row[a] == best) ties++;
    }
    int64_t pick = ties > 1 ? integers(rng, ties) : 0;
    for (int64_t a = 0; a < A; a++) {
        if (row[a] == best) {
            if (pick == 0) return a;
            pick--;
        }
    }
    return 0;
}

static inline int64_t epsilon_greedy(const double *row, int64_t A, double epsilon, uint64_t *rng) {
    if (uniform(rng) < epsilon) return integers(rng, A);
    return greedy(row, A, rng);
}

static inline double exploration(const double *forced_epsilon, int64_t state, double epsilon) {
    double forced = forced_epsilon[state];
    return isnan(forced) ? epsilon : forced;
}

int64_t train(int64_t algorithm, int64_t S, int64_t A, int64_t K,
              const int32_t *next_state, const double *prob, const double *proxy,
              const double *intended, const double *speed_bonus, const uint8_t *terminal,
              const double *initial, const int32_t *obs, const double *forced_epsilon,
              int64_t horizon, double *q, uint64_t *rng, int64_t *carry_i, double *carry_f,
              const double *params, int64_t step_limit, int64_t episode_limit,
              double *proxy_returns, double *intended_returns, int64_t *lengths, int64_t capacity) {
    double gamma = params[GAMMA], decay_steps = params[DECAY_STEPS];
    int64_t state = carry_i[STATE], step = carry_i[STEP], pending = carry_i[PENDING_ACTION];
    int64_t steps = carry_i[STEPS_DONE], episodes = carry_i[EPISODES_DONE];
    double proxy_return = carry_f[PROXY_RETURN], intended_return = carry_f[INTENDED_RETURN];
    int64_t recorded = 0;

    while (steps < step_limit) {
        if (state < 0) {
            if (episodes >= episode_limit || recorded >= capacity) break;
            double u = uniform(rng), total = 0.0;
            state = -1;
            for (int64_t s = 0; s < S; s++) {
                total += initial[s];
                if (u < total) { state = s; break; }
            }
            if (state < 0) {
                state = 0;
                for (int64_t s = S - 1; s >= 0; s--) if (initial[s] > 0.0) { state = s; break; }
            }
            step = 0;
            proxy_return = 0.0;
            intended_return = 0.0;
            pending = -1;
        }
        double epsilon = scheduled(params[EPSILON_START], params[EPSILON_END], steps, decay_steps);
        double alpha = scheduled(params[ALPHA_START], params[ALPHA_END], steps, decay_steps);
        int64_t seen = obs[state];
        int64_t action = pending >= 0
            ? pending
            : epsilon_greedy(q + seen * A, A, exploration(forced_epsilon, state, epsilon), rng);
        pending = -1;

        int64_t base = (state * A + action) * K;
        double u = uniform(rng), total = 0.0;
        int64_t k = -1;
        for (int64_t j = 0; j < K; j++) {
            total += prob[base + j];
            if (u < total) { k = j; break; }
        }
        if (k < 0) {
            k = 0;
            for (int64_t j = K - 1; j >= 0; j--) if (prob[base + j] > 0.0) { k = j; break; }
        }
        int64_t after = next_state[base + k];
        double reward = proxy[base + k];
        step++;
        steps++;
        proxy_return += reward;
        intended_return += intended[base + k]
                           + speed_bonus[base + k] * (double)(horizon - step) / (double)horizon;

        double target;
        if (terminal[after]) {
            target = reward;
        } else {
            const double *next_row = q + (int64_t)obs[after] * A;
            double next_epsilon = exploration(
                forced_epsilon, after,
                scheduled(params[EPSILON_START], params[EPSILON_END], steps, decay_steps));
            double bootstrap;
            if (algorithm == SARSA) {
                pending = epsilon_greedy(next_row, A, next_epsilon, rng);
                bootstrap = next_row[pending];
            } else if (algorithm == EXPECTED_SARSA) {
                double sum = 0.0, best = next_row[0];
                for (int64_t a = 0; a < A; a++) {
                    sum += next_row[a];
                    if (next_row[a] > best) best = next_row[a];
                }
                bootstrap = next_epsilon * (sum / (double)A) + (1.0 - next_epsilon) * best;
            } else {
                bootstrap = next_row[0];
                for (int64_t a = 1; a < A; a++)
                    if (next_row[a] > bootstrap) bootstrap = next_row[a];
            }
            target = reward + gamma * bootstrap;
        }
        double *cell = q + seen * A + action;
        *cell += alpha * (target - *cell);

        if (terminal[after] || step >= horizon) {
            proxy_returns[recorded] = proxy_return;
            intended_returns[recorded] = intended_return;
            lengths[recorded] = step;
            recorded++;
            episodes++;
            state = -1;
            pending = -1;
        } else {
            state = after;
        }
    }
    carry_i[STATE] = state;
    carry_i[STEP] = step;
    carry_i[PENDING_ACTION] = pending;
    carry_i[STEPS_DONE] = steps;
    carry_i[EPISODES_DONE] = episodes;
    carry_f[PROXY_RETURN] = proxy_return;
    carry_f[INTENDED_RETURN] = intended_return;
    return recorded;
}
