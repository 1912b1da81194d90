#version 330 core
// One quad per draw: a unit square scaled to u_rect (drawable pixels, origin
// top-left) with texture coordinates spanning u_uv (u0, v0, u1, v1), and a
// second set spanning u_uv2 (the ancestor under a fading tile, tile_mix.frag;
// the other programs do not read it).
layout(location = 0) in vec2 a_pos;

uniform mat4 u_proj;
uniform vec4 u_rect;
uniform vec4 u_uv;
uniform vec4 u_uv2;

out vec2 v_uv;
out vec2 v_uv2;

void main()
{
    vec2 p = u_rect.xy + a_pos * u_rect.zw;
    v_uv = mix(u_uv.xy, u_uv.zw, a_pos);
    v_uv2 = mix(u_uv2.xy, u_uv2.zw, a_pos);
    gl_Position = u_proj * vec4(p, 0.0, 1.0);
}
