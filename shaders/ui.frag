#version 330 core
// Modes: 1 "loading" placeholder, 2 "failed" mark, 3 solid colour,
// 4 text (texture alpha tinted by u_color), 5 "not cached" mark.
// Patterns are in screen space so they read as "no data here" while the map moves.
// The two marks are drawn over the world map (or a stand-in): thin opaque
// lines, the rest discarded, so the map stays readable beneath.
in vec2 v_uv;

uniform sampler2D u_tex;
uniform int u_mode;
uniform vec4 u_color;

out vec4 o_color;

void main()
{
    vec2 p = floor(gl_FragCoord.xy);
    if (u_mode == 1) {
        // A quiet 16 px checkerboard: obviously "not here yet", never mistaken for map.
        bool odd = mod(floor(p.x / 16.0) + floor(p.y / 16.0), 2.0) >= 1.0;
        o_color = vec4(odd ? vec3(0.851, 0.843, 0.820) : vec3(0.800, 0.792, 0.769), 1.0);
    } else if (u_mode == 2) {
        // Thin red diagonal lines: a tile that could not be loaded.
        if (mod(p.x + p.y, 32.0) >= 2.0)
            discard;
        o_color = vec4(0.800, 0.200, 0.200, 1.0);
    } else if (u_mode == 3) {
        o_color = u_color;
    } else if (u_mode == 4) {
        vec4 t = texture(u_tex, v_uv);
        o_color = vec4(t.rgb * u_color.rgb, t.a * u_color.a);
    } else {
        // Not in the offline cache: a thin grey cross-hatch.
        if (mod(p.x + p.y, 24.0) >= 2.0 && mod(p.x - p.y, 24.0) >= 2.0)
            discard;
        o_color = vec4(vec3(0.55), 1.0);
    }
}
