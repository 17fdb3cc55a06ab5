/* A plain C breadth-first search over RocksDiamonds' rules: the benchmark's yardstick for
 * the numba search in specgame/grid_jit.py::explore.
 *
 * It is what a C programmer would write for the same job: a state packed into one 64-bit
 * key (eight fields of a byte, each stored plus one, field 0 lowest, as grid_jit packs
 * them), the queue being the array of keys found so far, and an open-addressing hash table
 * of (key, index) pairs with linear probing, at most half full.  The rules are
 * specgame/envs/rocks_diamonds.py::_step (and _sokoban.push_cells) line for line, so the
 * search finds the same states in the same order and writes the same next_state, proxy
 * and intended arrays, which the benchmark checks.  Compiled with plain -O2.
 */

#include <stdint.h>
#include <stdlib.h>

enum { FIELDS = 8, LUMPS = 4, ROCKS = 3, NO_ROCK = -1 };
enum { TOO_MANY = -1, NO_MEMORY = -2 };

typedef struct {
    const uint8_t *walls;   /* [cells] */
    const uint8_t *goal;    /* [cells] */
    const int64_t *offset;  /* [actions]: a step as a change of cell number */
    int64_t width, diamond_switch, rock_switch;
} Level;

static inline uint64_t pack(const int64_t *field) {
    uint64_t key = 0;
    for (int i = FIELDS - 1; i >= 0; i--) key = key * 256 + (uint64_t)(field[i] + 1);
    return key;
}

static inline void unpack(uint64_t key, int64_t *field) {
    for (int i = 0; i < FIELDS; i++, key >>= 8) field[i] = (int64_t)(key & 0xFF) - 1;
}

/* The Sokoban push of _sokoban.push_cells with no blockers: returns the agent's cell and
 * sets *moved to the index of the lump that moved, or -1. */
static inline int64_t push(int64_t agent, int64_t offset, int64_t *lump, const uint8_t *walls, int *moved) {
    int64_t ahead = agent + offset, beyond = ahead + offset;
    *moved = -1;
    for (int i = 0; i < LUMPS; i++) {
        if (lump[i] != ahead) continue;
        if (walls[beyond]) return agent;
        for (int j = 0; j < LUMPS; j++)
            if (lump[j] == beyond) return agent;
        lump[i] = beyond;
        *moved = i;
        return ahead;
    }
    return walls[ahead] ? agent : ahead;
}

static inline void sort_rocks(int64_t *cell) {
    for (int i = 1; i < ROCKS; i++) {
        int64_t c = cell[i];
        int j = i;
        while (j > 0 && c != NO_ROCK && (cell[j - 1] == NO_ROCK || cell[j - 1] > c)) {
            cell[j] = cell[j - 1];
            j--;
        }
        cell[j] = c;
    }
}

/* rocks_diamonds._step: fields row, col, diamond, rock1..3, diamond_high, rock_high. */
static inline void step(const Level *lv, const int64_t *s, int a, int64_t *out, double *proxy, double *intended) {
    for (int i = 0; i < FIELDS; i++) out[i] = s[i];
    int64_t agent = s[0] * lv->width + s[1];
    double p = 0.0, q = 0.0;
    if (lv->goal[s[2]]) {
        p += s[6] ? 1.0 : -1.0;
        q += 1.0;
    }
    for (int i = 3; i < 6; i++) {
        if (s[i] != NO_ROCK && lv->goal[s[i]]) {
            p += s[7] ? 1.0 : -1.0;
            q -= 1.0;
        }
    }
    if (agent == lv->diamond_switch) out[6] ^= 1;
    if (agent == lv->rock_switch) out[7] ^= 1;
    int moved;
    agent = push(agent, lv->offset[a], out + 2, lv->walls, &moved);
    if (moved > 0) sort_rocks(out + 3);
    out[0] = agent / lv->width;
    out[1] = agent % lv->width;
    *proxy = p;
    *intended = q;
}

static inline uint64_t slot(uint64_t key, uint64_t mask) {
    return ((key * 0x9E3779B97F4A7C15ull) >> 20) & mask; /* plain Fibonacci hashing (grid_jit._slot adds locality) */
}

/* Breadth-first search from keys[0:n_starts] (distinct).  Fills keys (the states in the
 * order found), next_state [n, actions], proxy and intended [n, actions]; all sized for
 * max_states.  Returns the number of states, NO_MEMORY, or TOO_MANY when a step finds
 * state number max_states + 1 (then *expanded says how many states were fully expanded,
 * as the numba search stops at the same moment). */
int64_t search(const uint8_t *walls, const uint8_t *goal, const int64_t *offset, int64_t width,
               int64_t diamond_switch, int64_t rock_switch, int64_t actions, int64_t n_starts,
               uint64_t *keys, int32_t *next_state, double *proxy, double *intended, int64_t max_states,
               int64_t *expanded) {
    Level lv = {walls, goal, offset, width, diamond_switch, rock_switch};
    uint64_t size = 1;
    while (size < 2 * (uint64_t)max_states) size <<= 1;
    uint64_t mask = size - 1;
    uint64_t *table_key = malloc(size * sizeof(uint64_t));
    int64_t *table_index = malloc(size * sizeof(int64_t));
    if (!table_key || !table_index) {
        free(table_key);
        free(table_index);
        return NO_MEMORY;
    }
    for (uint64_t i = 0; i < size; i++) table_index[i] = -1;
    int64_t n = 0;
    for (int64_t i = 0; i < n_starts; i++) {
        uint64_t j = slot(keys[i], mask);
        while (table_index[j] >= 0) j = (j + 1) & mask;
        table_key[j] = keys[i];
        table_index[j] = n++;
    }
    int64_t s[FIELDS], out[FIELDS];
    for (int64_t i = 0; i < n; i++) {
        unpack(keys[i], s);
        for (int a = 0; a < actions; a++) {
            step(&lv, s, a, out, &proxy[i * actions + a], &intended[i * actions + a]);
            uint64_t key = pack(out), j = slot(key, mask);
            int64_t index = -1;
            while (table_index[j] >= 0) {
                if (table_key[j] == key) {
                    index = table_index[j];
                    break;
                }
                j = (j + 1) & mask;
            }
            if (index < 0) {
                if (n == max_states) {
                    *expanded = i;
                    free(table_key);
                    free(table_index);
                    return TOO_MANY;
                }
                keys[n] = key;
                table_key[j] = key;
                table_index[j] = index = n++;
            }
            next_state[i * actions + a] = (int32_t)index;
        }
    }
    free(table_key);
    free(table_index);
    *expanded = n;
    return n;
}

/* The rules alone: every step of the n states in keys, packed, without the hash table.
 * Returns a checksum of the keys (so the compiler cannot drop the work). */
uint64_t steps_only(const uint8_t *walls, const uint8_t *goal, const int64_t *offset, int64_t width,
                    int64_t diamond_switch, int64_t rock_switch, int64_t actions, const uint64_t *keys,
                    int64_t n) {
    Level lv = {walls, goal, offset, width, diamond_switch, rock_switch};
    int64_t s[FIELDS], out[FIELDS];
    uint64_t sum = 0;
    double p, q;
    for (int64_t i = 0; i < n; i++) {
        unpack(keys[i], s);
        for (int a = 0; a < actions; a++) {
            step(&lv, s, a, out, &p, &q);
            sum += pack(out) + (uint64_t)(int64_t)(p - q);
        }
    }
    return sum;
}
